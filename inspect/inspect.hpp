// `roomctl inspect`: asks a server's admin API and renders the answer; --watch redraws in place.
#pragma once

#include <string>

namespace roomctl::inspect {

// What `roomctl inspect` can be asked, for the usage text and the shell completions.
inline constexpr const char* kTargets = "rooms room users stats nodes close kick drain resume";

struct InspectArgs {
  std::string what;  // one of kTargets (user is users' alias)
  std::string id;
  std::string server = "http://127.0.0.1:9100";
  std::string token;
  std::string output = "table";  // table, wide, json, yaml
  bool watch = false;            // redraw every `interval` (kubectl's -w: a flag, no value)
  std::string interval = "2s";
  int count = 0;  // with --watch: stop after this many redraws (0 = until Ctrl-C)
  bool reveal = false;
  std::string game, phase, idle_over, sort, cursor;
  int min_players = 0;
  int limit = 0;
  bool no_color = false;  // NO_COLOR is set in the environment
};

// Exit codes: 0 ok, 1 server unreachable or failing, 2 usage, 4 unauthorized (401), 5 not found,
// 7 forbidden (403).
int inspect(const InspectArgs& args);

}  // namespace roomctl::inspect
