// `roomctl check`: validate a profile and print the effective configuration as YAML.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cmd/commands.hpp"
#include "loadgen/loadtest_options.hpp"
#include "server/config/profile.hpp"
#include "server/config/serve_options.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::cmd {

namespace {
struct CheckArgs {
  std::string profile;
  std::vector<std::string> sets;
  std::string kind = "serve";
};

int run_check(const CheckArgs& args, char** envp) {
  try {
    bool serve = args.kind == "serve";
    const auto& schema = serve ? config::serve_schema() : loadgen::loadtest_schema();
    auto settings = config::load_profile(schema, args.profile, args.sets, envp);
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
}  // namespace

Command add_check(CLI::App& app, char** envp) {
  auto args = std::make_shared<CheckArgs>();
  auto* sub =
      app.add_subcommand("check", "Validate a profile and print the effective configuration");
  sub->add_option("--profile,-p", args->profile, "Profile (YAML)")->check(CLI::ExistingFile);
  sub->add_option("--set", args->sets, "Override a profile key: key=value (repeatable)");
  sub->add_option("--kind", args->kind, "Profile kind: serve or loadtest")
      ->check(CLI::IsMember({"serve", "loadtest"}));
  return {sub, [args, envp] { return run_check(*args, envp); }};
}

}  // namespace roomctl::cmd
