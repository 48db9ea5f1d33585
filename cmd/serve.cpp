// `roomctl serve`: load the profile, set the log level, run the server.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cmd/commands.hpp"
#include "loadgen/loadtest_options.hpp"
#include "server/config/profile.hpp"
#include "server/config/serve_options.hpp"
#include "server/net/server.hpp"
#include "server/util/exit_codes.hpp"
#include "server/util/log.hpp"

namespace roomctl::cmd {

namespace {
struct ServeArgs {
  std::string profile;
  std::vector<std::string> sets;
};

int run_serve(const ServeArgs& args, char** envp) {
  config::ServeOptions options;
  try {
    auto settings = config::load_profile(config::serve_schema(), args.profile, args.sets, envp);
    options = config::serve_options(settings);
  } catch (const config::ConfigError& e) {
    std::cerr << "roomctl serve: " << e.what() << "\n";
    return exit_code::usage;
  }
  if (auto refusal = config::serve_refusal(options); !refusal.empty()) {
    std::cerr << "roomctl serve: refusing to start: " << refusal << "\n";
    return exit_code::usage;
  }
  log::Level level;
  if (log::parse_level(options.log_level, level)) log::set_level(level);
  log::set_json(options.log_format == "json");
  // Both schemas: one environment often serves serve and loadtest on a test machine.
  for (const auto& w :
       config::unknown_environment(envp, {&config::serve_schema(), &loadgen::loadtest_schema()},
                                   {"ROOMCTL_INSPECT_SERVER"}))
    log::warn("unknown_environment_variable", {{"warning", w}});
  try {
    net::Server server(std::move(options));
    return server.run();
  } catch (const std::exception& e) {
    log::error("server_failed", {{"error", e.what()}});
    return exit_code::failure;
  }
}
}  // namespace

Command add_serve(CLI::App& app, char** envp) {
  auto args = std::make_shared<ServeArgs>();
  auto* sub = app.add_subcommand("serve", "Run the game server");
  sub->add_option("--profile,-p", args->profile, "Serve profile (YAML)")->check(CLI::ExistingFile);
  sub->add_option("--set", args->sets, "Override a profile key: key=value (repeatable)");
  return {sub, [args, envp] { return run_serve(*args, envp); }};
}

}  // namespace roomctl::cmd
