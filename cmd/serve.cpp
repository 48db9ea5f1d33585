// `roomctl serve`: load the profile, set the log level, run the server.
#include <iostream>

#include "cmd/commands.hpp"
#include "server/config/profile.hpp"
#include "server/config/serve_options.hpp"
#include "server/net/server.hpp"
#include "server/util/exit_codes.hpp"
#include "server/util/log.hpp"

extern char** environ;

namespace roomctl::cmd {

int run_serve(const ProfileArgs& args) {
  config::ServeOptions options;
  try {
    auto settings = config::load_profile(config::serve_schema(), args.profile, args.sets, environ);
    options = config::serve_options(settings);
  } catch (const config::ConfigError& e) {
    std::cerr << "roomctl serve: " << e.what() << "\n";
    return exit_code::usage;
  }
  log::Level level;
  if (log::parse_level(options.log_level, level)) log::set_level(level);
  try {
    net::Server server(std::move(options));
    return server.run();
  } catch (const std::exception& e) {
    log::error("server_failed", {{"error", e.what()}});
    return exit_code::failure;
  }
}

}  // namespace roomctl::cmd
