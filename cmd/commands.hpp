// One entry point per subcommand; main.cpp maps CLI11 subcommands onto these.
#pragma once

#include <string>
#include <vector>

namespace roomctl::cmd {

struct ProfileArgs {
  std::string profile;
  std::vector<std::string> sets;
};

int run_serve(const ProfileArgs& args);
int run_check(const ProfileArgs& args, const std::string& kind);
int run_version();

}  // namespace roomctl::cmd
