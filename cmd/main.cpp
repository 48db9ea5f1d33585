// roomctl: one binary, several subcommands (serve, check, version). Parsing only; no logic.
#include <CLI/CLI.hpp>

#include "cmd/commands.hpp"
#include "server/util/exit_codes.hpp"

int main(int argc, char** argv) {
  using namespace roomctl::cmd;
  CLI::App app{"roomctl: game-room server and operations toolkit"};
  app.require_subcommand(1);

  ProfileArgs serve_args;
  auto* serve = app.add_subcommand("serve", "Run the game server");
  serve->add_option("--profile,-p", serve_args.profile, "Serve profile (YAML)")->check(CLI::ExistingFile);
  serve->add_option("--set", serve_args.sets, "Override a profile key: key=value (repeatable)");

  ProfileArgs check_args;
  std::string kind = "serve";
  auto* check = app.add_subcommand("check", "Validate a profile and print the effective configuration");
  check->add_option("--profile,-p", check_args.profile, "Profile (YAML)")->check(CLI::ExistingFile);
  check->add_option("--set", check_args.sets, "Override a profile key: key=value (repeatable)");
  check->add_option("--kind", kind, "Profile kind")->check(CLI::IsMember({"serve"}));

  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? roomctl::exit_code::ok : roomctl::exit_code::usage;
  }
  if (serve->parsed()) return run_serve(serve_args);
  if (check->parsed()) return run_check(check_args, kind);
  if (version->parsed()) return run_version();
  return roomctl::exit_code::usage;
}
