// Tables for the on-call engineer; JSON and YAML for scripts.
#include "inspect/inspect_view.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <sstream>

#include "inspect/plain_json.hpp"

namespace roomctl::inspect {
using Millis = std::int64_t;

namespace json = boost::json;

namespace {
// A scalar as a person reads it: strings bare, numbers plain (30, 0.05).
std::string scalar(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_double()) return plain_number(v.get_double());
  return plain_json(v);
}
std::string s(const json::object& o, const char* k) {
  auto it = o.find(k);
  if (it == o.end() || it->value().is_null()) return "-";
  return scalar(it->value());
}
// "key=value key=value", wrapped before `width` columns with `indent` spaces on later lines:
// settings and secrets read as pairs, never as a cut JSON fragment.
std::string pairs(const json::value& v, std::size_t indent, std::size_t width = 80) {
  if (!v.is_object()) return scalar(v);
  std::string out;
  std::size_t col = indent;
  for (const auto& [k, val] : v.get_object()) {
    std::string pair = std::string(k) + "=" + (val.is_structured() ? plain_json(val) : scalar(val));
    if (!out.empty() && col + 1 + pair.size() > width) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
    } else if (!out.empty()) {
      out += ' ';
      ++col;
    }
    out += pair;
    col += pair.size();
  }
  return out.empty() ? "-" : out;
}
// The column width that holds every row's `key` and the header, with one separating space:
// identifiers are never cut, because an operator pastes them into `kick` and `close`.
std::size_t fit(const json::array& rows, const char* key, const std::string& header) {
  std::size_t w = header.size();
  for (const auto& r : rows)
    if (r.is_object()) w = std::max(w, s(r.as_object(), key).size());
  return w + 1;
}
std::int64_t n(const json::object& o, const char* k) {
  auto it = o.find(k);
  if (it == o.end()) return 0;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
  if (it->value().is_double()) return static_cast<std::int64_t>(it->value().get_double());
  return 0;
}
bool b(const json::object& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_bool() && it->value().get_bool();
}

// Fits text in a column of `width` including one separating space: pads, or cuts with "~".
std::string cell(std::string text, std::size_t width) {
  if (text.size() > width - 1) return text.substr(0, width - 2) + "~ ";
  return text + std::string(width - text.size(), ' ');
}

struct Style {
  bool color;
  std::string bold(const std::string& t) const { return color ? "\033[1m" + t + "\033[0m" : t; }
  std::string dim(const std::string& t) const { return color ? "\033[2m" + t + "\033[0m" : t; }
  std::string green(const std::string& t) const { return color ? "\033[32m" + t + "\033[0m" : t; }
  std::string red(const std::string& t) const { return color ? "\033[31m" + t + "\033[0m" : t; }
};

void yaml_emit(YAML::Emitter& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      out << YAML::BeginMap;
      for (const auto& [k, val] : v.get_object()) {
        out << YAML::Key << std::string(k) << YAML::Value;
        yaml_emit(out, val);
      }
      out << YAML::EndMap;
      break;
    case json::kind::array:
      out << YAML::BeginSeq;
      for (const auto& e : v.get_array()) yaml_emit(out, e);
      out << YAML::EndSeq;
      break;
    case json::kind::string:
      out << std::string(v.get_string());
      break;
    case json::kind::bool_:
      out << v.get_bool();
      break;
    case json::kind::null:
      out << YAML::Null;
      break;
    case json::kind::double_:
      out << plain_number(v.get_double());
      break;
    default:
      out << json::serialize(v);
      break;
  }
}

std::string rooms_table(const json::object& o, const Style& st, bool wide) {
  std::ostringstream out;
  const auto& rows = o.at("rooms").as_array();
  std::size_t idw = fit(rows, "roomId", "ROOM");
  out << st.bold(cell("ROOM", idw) + cell("GAME", 9) + cell("PHASE", 12) + cell("PLAYERS", 8) +
                 (wide ? cell("JOINABLE", 9) : "") + cell("AGE", 8) + "IDLE")
      << "\n";
  for (const auto& r : rows) {
    const auto& ro = r.as_object();
    std::string phase = cell(s(ro, "phase"), 12);
    out << cell(s(ro, "roomId"), idw) << cell(s(ro, "game"), 9)
        << (b(ro, "running") ? st.green(phase) : phase) << cell(std::to_string(n(ro, "players")), 8)
        << (wide ? cell(b(ro, "joinable") ? "yes" : "no", 9) : "")
        << cell(human_duration(n(ro, "ageMs")), 8) << human_duration(n(ro, "idleMs")) << "\n";
  }
  out << st.dim(std::to_string(o.at("rooms").as_array().size()) + " of " + s(o, "total") +
                " rooms on node " + s(o, "node"));
  if (!o.at("nextCursor").is_null()) out << st.dim(", more with --cursor " + s(o, "nextCursor"));
  out << "\n";
  return out.str();
}

std::string room_table(const json::object& o, const Style& st, bool wide) {
  std::ostringstream out;
  out << st.bold("Room " + s(o, "roomId")) << "  " << s(o, "game") << " on node " << s(o, "node")
      << "\n";
  out << "  phase      " << s(o, "phase") << "   round " << s(o, "round");
  if (o.contains("rounds")) out << "/" << s(o, "rounds");
  out << "   time left " << human_duration(n(o, "remainingMs")) << "\n";
  out << "  host       " << s(o, "host");
  if (o.contains("drawer")) out << "   drawer " << s(o, "drawer");
  if (o.contains("currentSpeaker")) out << "   speaker " << s(o, "currentSpeaker");
  out << "\n";
  out << "  age        " << human_duration(n(o, "ageMs")) << "   idle "
      << human_duration(n(o, "idleMs")) << "   messages in " << n(o, "messagesIn")
      << " / frames out " << n(o, "framesOut") << "\n";
  if (o.contains("strokeLogEvents"))
    out << "  strokes    " << n(o, "strokeLogEvents") << " events, "
        << human_bytes(static_cast<double>(n(o, "strokeLogBytes")))
        << (b(o, "strokeLogFull") ? st.red(" (log full)") : "") << "\n";
  out << "  settings   " << pairs(o.at("settings"), 13) << "\n";
  if (auto it = o.find("secrets"); it != o.end())
    out << "  " << st.red("secrets    " + pairs(it->value(), 13)) << "\n";
  const auto& members = o.at("members").as_array();
  std::size_t userw = fit(members, "userId", "USER");
  std::size_t namew = wide ? fit(members, "name", "NAME") : 14;
  out << st.bold(cell("USER", userw) + cell("NAME", namew) + cell("ONLINE", 8) + cell("STATE", 18) +
                 "LAST SEEN")
      << "\n";
  Millis now = n(o, "createdAtMs") + n(o, "ageMs");
  for (const auto& m : o.at("members").as_array()) {
    const auto& mo = m.as_object();
    std::string state;
    if (mo.contains("score"))
      state = "score " + std::to_string(n(mo, "score")) + (b(mo, "guessed") ? " guessed" : "");
    else
      state = b(mo, "spectator") ? "spectator"
                                 : (b(mo, "alive") ? "alive" : (b(mo, "ready") ? "ready" : "-"));
    if (b(mo, "host")) state += " host";
    std::string online = b(mo, "online") ? st.green(cell("yes", 8)) : st.red(cell("no", 8));
    out << cell(s(mo, "userId"), userw) << cell(s(mo, "name"), namew) << online << cell(state, 18)
        << human_duration(now - n(mo, "lastActivityMs")) << " ago\n";
  }
  return out.str();
}

std::string user_table(const json::object& o, const Style& st) {
  std::ostringstream out;
  out << st.bold("User " + s(o, "userId")) << " on node " << s(o, "node") << "\n"
      << "  status      " << s(o, "status") << "\n"
      << "  online      "
      << (b(o, "online") ? st.green("yes") + " (connection " + s(o, "connectionId") + ")"
                         : st.red("no"))
      << "\n"
      << "  rooms       ";
  std::string rooms;
  for (const auto& r : o.at("rooms").as_array())
    rooms += (rooms.empty() ? "" : ", ") + std::string(r.as_string());
  out << (rooms.empty() ? "-" : rooms) << "\n"
      << "  queued DMs  " << n(o, "queuedMessages") << "\n";
  return out.str();
}

// {"skribble":4,"spy":2} as "  (skribble 4, spy 2)"; nothing for no rooms.
std::string by_game(const json::value& v) {
  if (!v.is_object()) return "  " + scalar(v);
  std::string out;
  for (const auto& [game, count] : v.get_object())
    out += (out.empty() ? "" : ", ") + std::string(game) + " " + scalar(count);
  return out.empty() ? "" : "  (" + out + ")";
}

std::string stats_table(const json::object& o, const Style& st) {
  std::ostringstream out;
  const auto& l = o.at("limits").as_object();
  out << st.bold("Node " + s(o, "node")) << "  roomctl " << s(o, "version")
      << (o.contains("commit") ? " (" + s(o, "commit") + ")" : "") << ", up "
      << human_duration(n(o, "uptimeMs")) << ", "
      << (b(o, "ready") ? st.green("ready") : st.red("not ready"))
      << (b(o, "draining") ? st.red(" (draining)") : "") << "\n"
      << "  connections  " << n(o, "connections") << " / " << n(l, "maxConnections") << "\n"
      << "  users        " << n(o, "usersOnline") << " online, " << n(o, "usersKnown") << " known\n"
      << "  rooms        " << n(o, "rooms") << " / " << n(l, "maxRooms")
      << by_game(o.at("roomsByGame")) << "\n"
      << "  games        " << n(o, "runningGames") << " running, " << n(o, "players")
      << " players seated\n"
      << "  memory       " << human_bytes(static_cast<double>(n(o, "rssBytes")))
      << (n(l, "memoryHighWatermarkBytes")
              ? " / watermark " + human_bytes(static_cast<double>(n(l, "memoryHighWatermarkBytes")))
              : "")
      << "\n"
      << "  store        " << s(o, "store") << " "
      << (b(o, "storeHealthy") ? st.green("ok") : st.red("unreachable")) << "\n";
  return out.str();
}
// One row per node, alive ones green and dead ones red; the lease column says how long a node
// has before it counts as dead ("-" without a lease: one node outside a cluster).
std::string nodes_table(const json::object& o, const Style& st, bool wide) {
  std::ostringstream out;
  const auto& rows = o.at("nodes").as_array();
  std::size_t idw = fit(rows, "id", "NODE");
  std::size_t wsw = fit(rows, "wsAddress", "WS");
  out << st.bold(cell("NODE", idw) + cell("ALIVE", 6) + cell("LEASE", 7) + cell("ROOMS", 7) +
                 cell("CONNS", 7) + cell("LOAD", 6) + (wide ? cell("OWNED", 7) : "") +
                 cell("WS", wsw) + "ADMIN")
      << "\n";
  for (const auto& r : rows) {
    const auto& no = r.as_object();
    bool alive = b(no, "alive");
    auto lease = no.find("leaseTtlMs");
    bool leased = lease != no.end() && !lease->value().is_null();
    // A dead node's lease (with its counts and addresses) is gone: "-", not zeros.
    auto field = [&](const std::string& text) { return alive && !text.empty() ? text : "-"; };
    auto load = no.find("load");
    char percent[16];
    std::snprintf(percent, sizeof percent, "%.0f%%",
                  load != no.end() && load->value().is_number()
                      ? 100 * load->value().to_number<double>()
                      : 0.0);
    out << cell(s(no, "id"), idw) << (alive ? st.green(cell("yes", 6)) : st.red(cell("no", 6)))
        << cell(!leased ? "-"
                : alive ? human_duration(n(no, "leaseTtlMs"))
                        : "gone",
                7)
        << cell(field(std::to_string(n(no, "rooms"))), 7)
        << cell(field(std::to_string(n(no, "connections"))), 7) << cell(field(percent), 6)
        << (wide ? cell(std::to_string(n(no, "ownedRooms")), 7) : "")
        << cell(field(s(no, "wsAddress")), wsw) << field(s(no, "adminAddress")) << "\n";
  }
  if (b(o, "cluster"))
    out << st.dim(s(o, "alive") + " of " + std::to_string(rows.size()) +
                  " nodes alive (cluster, asked node " + s(o, "node") + ")");
  else
    out << st.dim("node " + s(o, "node") + " runs alone (cluster.enabled is false)");
  out << "\n";
  return out.str();
}
}  // namespace

std::string human_duration(std::int64_t ms) {
  if (ms < 0) ms = 0;
  char buf[32];
  if (ms < 1000)
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  else if (ms < 60'000)
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(ms / 1000));
  else if (ms < 3'600'000)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60));
  else if (ms < 86'400'000)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(ms / 86'400'000),
                  static_cast<long long>(ms / 3'600'000 % 24));
  return buf;
}

std::string human_bytes(double v) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string to_yaml(const json::value& v) {
  YAML::Emitter out;
  yaml_emit(out, v);
  return std::string(out.c_str()) + "\n";
}

std::string render(const std::string& kind, const json::value& answer, const ViewOptions& options) {
  if (options.format == Format::json) return plain_json(answer) + "\n";
  if (options.format == Format::yaml) return to_yaml(answer);
  Style st{options.color};
  const auto& o = answer.as_object();
  if (kind == "rooms") return rooms_table(o, st, options.wide);
  if (kind == "room") return room_table(o, st, options.wide);
  if (kind == "user") return user_table(o, st);
  if (kind == "stats") return stats_table(o, st);
  if (kind == "nodes") return nodes_table(o, st, options.wide);
  std::ostringstream out;  // actions: one line per field
  for (const auto& [k, v] : o)
    out << std::string(k) << ": " << (v.is_structured() ? plain_json(v) : scalar(v)) << "\n";
  return out.str();
}

}  // namespace roomctl::inspect
