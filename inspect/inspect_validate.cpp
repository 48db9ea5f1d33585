// The allowed values come from the games themselves (phase_names), so a new phase needs no
// change here.
#include "inspect/inspect_validate.hpp"

#include <algorithm>
#include <vector>

#include "server/config/value.hpp"
#include "server/games/skribble/skribble_state.hpp"
#include "server/games/spy/spy_state.hpp"
#include "server/util/suggest.hpp"

namespace roomctl::inspect {

namespace {
std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string check_member(const char* flag, const std::string& value,
                         const std::vector<std::string>& allowed) {
  if (value.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return "";
  return std::string(flag) + " \"" + value + "\" is not one of: " + join(allowed) +
         util::did_you_mean(value, allowed);
}

// A duration such as 2s or 500ms in milliseconds, at least min_ms; -1 when it is not one.
std::int64_t duration_ms(const std::string& text, double min_ms) {
  config::Spec spec{"duration", config::Type::duration, "0s", "", min_ms};
  config::Value v;
  if (!config::parse_value(spec, text, v).empty()) return -1;
  return std::get<std::int64_t>(v);
}

std::vector<std::string> phases_of(const std::string& game) {
  std::vector<std::string> out;
  if (game.empty() || game == "spy") out = games::spy::phase_names();
  if (game.empty() || game == "skribble")
    for (const auto& p : games::skribble::phase_names())
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  return out;
}
}  // namespace

std::string validate(const InspectArgs& a, std::int64_t& interval_ms) {
  interval_ms = 0;
  if (auto e = check_member("--game", a.game, {"spy", "skribble"}); !e.empty()) return e;
  if (auto e = check_member("--phase", a.phase, phases_of(a.game)); !e.empty())
    return e + (a.game.empty() ? "" : " (phases of " + a.game + ")");
  if (auto e = check_member("--sort", a.sort, {"id", "age", "idle", "players"}); !e.empty())
    return e;
  if (!a.idle_over.empty() && duration_ms(a.idle_over, 0) < 0)
    return "--idle-over \"" + a.idle_over + "\" is not a duration (e.g. 30s, 5m, 1h)";
  if (a.watch) {
    interval_ms = duration_ms(a.interval, 100);
    if (interval_ms < 0)
      return "--interval \"" + a.interval + "\" is not a duration of at least 100ms (e.g. 2s)";
  }
  if (a.count < 0) return "--count must be 0 (until Ctrl-C) or more";
  return "";
}

}  // namespace roomctl::inspect
