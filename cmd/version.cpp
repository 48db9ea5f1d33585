// `roomctl version`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cmd/commands.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::cmd {

Command add_version(CLI::App& app, char**) {
  auto* sub = app.add_subcommand("version", "Print the version");
  return {sub, [] {
            std::cout << "roomctl " << ROOMCTL_VERSION << "\n";
            return exit_code::ok;
          }};
}

}  // namespace roomctl::cmd
