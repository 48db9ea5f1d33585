// `roomctl check`: validate a profile and print the effective configuration as YAML.
#include <iostream>

#include "cmd/commands.hpp"
#include "loadgen/loadtest_options.hpp"
#include "server/config/profile.hpp"
#include "server/config/serve_options.hpp"
#include "server/util/exit_codes.hpp"

extern char** environ;

namespace roomctl::cmd {

int run_check(const ProfileArgs& args, const std::string& kind) {
  try {
    bool serve = kind == "serve";
    const auto& schema = serve ? config::serve_schema() : loadgen::loadtest_schema();
    auto settings = config::load_profile(schema, args.profile, args.sets, environ);
    if (serve)
      config::serve_options(settings);  // the same conversions the commands do
    else
      loadgen::loadtest_options(settings);
    std::cout << settings.to_yaml();
    return exit_code::ok;
  } catch (const config::ConfigError& e) {
    std::cerr << "roomctl check: " << e.what() << "\n";
    return exit_code::usage;
  }
}

}  // namespace roomctl::cmd
