// `roomctl inspect`: the options; the admin client, the views and --watch live in inspect/.
#include <CLI/CLI.hpp>
#include <memory>
#include <string_view>

#include "cmd/commands.hpp"
#include "inspect/inspect.hpp"

namespace roomctl::cmd {

namespace {
// The value of NAME in envp, or nullptr.
const char* env_value(char** envp, std::string_view name) {
  for (char** e = envp; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.size() > name.size() && kv.substr(0, name.size()) == name && kv[name.size()] == '=')
      return *e + name.size() + 1;
  }
  return nullptr;
}
}  // namespace

Command add_inspect(CLI::App& app, char** envp) {
  auto ins = std::make_shared<inspect::InspectArgs>();
  if (const char* t = env_value(envp, "ROOMCTL_ADMIN_TOKEN")) ins->token = t;
  if (const char* s = env_value(envp, "ROOMCTL_INSPECT_SERVER")) ins->server = s;
  ins->no_color = env_value(envp, "NO_COLOR") != nullptr;
  auto* sub = app.add_subcommand("inspect",
                                 "Inspect live rooms, users, the node and the cluster (admin API)");
  sub->add_option(
         "what", ins->what,
         "rooms | room ID | users ID | stats | nodes | close ROOM | kick USER | drain | resume")
      ->required();
  sub->add_option("id", ins->id, "room or user id");
  sub->add_option("--server,-s", ins->server,
                  "admin endpoint, default http://127.0.0.1:9100 (ROOMCTL_INSPECT_SERVER)");
  sub->add_option("--token,-t", ins->token, "bearer token (ROOMCTL_ADMIN_TOKEN)");
  sub->add_option("-o,--output", ins->output,
                  "table, wide (extra columns, nothing cut), json (one object per line) or yaml")
      ->check(CLI::IsMember({"table", "wide", "json", "yaml"}));
  sub->add_flag("--watch,-w", ins->watch, "redraw every --interval, like watch(1)");
  sub->add_option("--interval", ins->interval, "with --watch: time between redraws (default 2s)");
  sub->add_option("--count", ins->count, "with --watch: stop after N redraws");
  sub->add_flag("--reveal", ins->reveal, "room: show secret words (token with admin.allow_reveal)");
  sub->add_option("--game", ins->game, "rooms: only this game (spy, skribble)");
  sub->add_option("--phase", ins->phase, "rooms: only this phase (e.g. lobby, drawing, voting)");
  sub->add_option("--min-players", ins->min_players, "rooms: at least this many players");
  sub->add_option("--idle-over", ins->idle_over, "rooms: idle longer than this (e.g. 5m)");
  sub->add_option("--sort", ins->sort, "rooms: id, age, idle or players");
  sub->add_option("--limit", ins->limit, "rooms: page size");
  sub->add_option("--cursor", ins->cursor, "rooms: next page cursor");
  return {sub, [ins] { return inspect::inspect(*ins); }};
}

}  // namespace roomctl::cmd
