// roomctl: one binary, several subcommands (serve, check, version). Parsing only; no logic.
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "cmd/commands.hpp"
#include "loadgen/inspect_command.hpp"
#include "loadgen/loadtest_command.hpp"

extern char** environ;
#include "server/util/exit_codes.hpp"

int main(int argc, char** argv) {
  using namespace roomctl::cmd;
  CLI::App app{"roomctl: game-room server and operations toolkit"};
  app.require_subcommand(1);

  ProfileArgs serve_args;
  auto* serve = app.add_subcommand("serve", "Run the game server");
  serve->add_option("--profile,-p", serve_args.profile, "Serve profile (YAML)")
      ->check(CLI::ExistingFile);
  serve->add_option("--set", serve_args.sets, "Override a profile key: key=value (repeatable)");

  ProfileArgs check_args;
  std::string kind = "serve";
  auto* check =
      app.add_subcommand("check", "Validate a profile and print the effective configuration");
  check->add_option("--profile,-p", check_args.profile, "Profile (YAML)")->check(CLI::ExistingFile);
  check->add_option("--set", check_args.sets, "Override a profile key: key=value (repeatable)");
  check->add_option("--kind", kind, "Profile kind: serve or loadtest")
      ->check(CLI::IsMember({"serve", "loadtest"}));

  auto* version = app.add_subcommand("version", "Print the version");

  roomctl::loadgen::LoadtestArgs lt;
  auto* loadtest =
      app.add_subcommand("loadtest", "Flood a server with synthetic players that play both games");
  loadtest->add_option("--profile,-p", lt.profile, "Load test profile (YAML)")
      ->check(CLI::ExistingFile);
  loadtest->add_option(
      "--set", lt.sets,
      "Override a profile key: key=value (repeatable), e.g. target=ws://HOST:PORT/");
  loadtest->add_option("--workers,-w", lt.workers,
                       "worker processes (each holds up to ~19k connections)");
  loadtest->add_option("--report", lt.report, "write the JSON report here");
  loadtest->add_option("--worker", lt.worker)->group("");  // internal: this process is worker i/N
  loadtest->add_option("--run-id", lt.run_id)->group("");

  roomctl::loadgen::InspectArgs ins;
  if (const char* t = std::getenv("ROOMCTL_ADMIN_TOKEN")) ins.token = t;
  if (const char* s = std::getenv("ROOMCTL_INSPECT_SERVER")) ins.server = s;
  auto* inspect =
      app.add_subcommand("inspect", "Inspect live rooms, users and the node (admin API)");
  inspect
      ->add_option("what", ins.what,
                   "rooms | room ID | users ID | stats | close ROOM | kick USER | drain | resume")
      ->required();
  inspect->add_option("id", ins.id, "room or user id");
  inspect->add_option("--server,-s", ins.server,
                      "admin endpoint, default http://127.0.0.1:9100 (ROOMCTL_INSPECT_SERVER)");
  inspect->add_option("--token,-t", ins.token, "bearer token (ROOMCTL_ADMIN_TOKEN)");
  inspect->add_option("-o,--output", ins.output, "table, json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  inspect->add_option("--watch,-w", ins.watch, "redraw every interval (default 2s)")
      ->expected(0, 1)
      ->default_str("2s");
  inspect->add_option("--count", ins.count, "with --watch: stop after N redraws");
  inspect->add_flag("--reveal", ins.reveal,
                    "room: show secret words (token with admin.allow_reveal)");
  inspect->add_option("--game", ins.game, "rooms: only this game (spy, skribble)");
  inspect->add_option("--phase", ins.phase, "rooms: only this phase");
  inspect->add_option("--min-players", ins.min_players, "rooms: at least this many players");
  inspect->add_option("--idle-over", ins.idle_over, "rooms: idle longer than this (e.g. 5m)");
  inspect->add_option("--sort", ins.sort, "rooms: id, age, idle or players");
  inspect->add_option("--limit", ins.limit, "rooms: page size");
  inspect->add_option("--cursor", ins.cursor, "rooms: next page cursor");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? roomctl::exit_code::ok : roomctl::exit_code::usage;
  }
  if (serve->parsed()) return run_serve(serve_args);
  if (check->parsed()) return run_check(check_args, kind);
  if (version->parsed()) return run_version();
  if (loadtest->parsed()) return roomctl::loadgen::loadtest(lt, environ);
  if (inspect->parsed()) {
    if (inspect->count("--watch") && ins.watch.empty()) ins.watch = "2s";
    return roomctl::loadgen::inspect(ins);
  }
  return roomctl::exit_code::usage;
}
