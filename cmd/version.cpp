// `roomctl version` (and `roomctl --version`, handled in main.cpp with the same text): the
// first line is what help2man and scripts read; the rest says exactly which build this is.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cmd/commands.hpp"
#include "server/util/build_info.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::cmd {

void print_version() {
  const auto& b = build_info();
  std::cout << "roomctl " << b.version << "\n"
            << "commit:     " << b.commit << "\n"
            << "build type: " << b.build_type << "\n"
            << "compiler:   " << b.compiler << "\n"
            << "boost:      " << b.boost << "\n";
}

Command add_version(CLI::App& app, char**) {
  auto* sub = app.add_subcommand("version", "Print the version, commit, build type and compiler");
  return {sub, [] {
            print_version();
            return exit_code::ok;
          }};
}

}  // namespace roomctl::cmd
