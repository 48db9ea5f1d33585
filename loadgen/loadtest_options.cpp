// Load test profile schema and conversion.
#include "loadgen/loadtest_options.hpp"

#include <algorithm>
#include <sstream>

#include "loadgen/stats.hpp"
#include "server/config/schema.hpp"
#include "server/config/settings.hpp"
#include "server/util/suggest.hpp"

namespace roomctl::loadgen {

using config::Spec;
using config::Type;

namespace {
config::Schema build() {
  config::Schema s;
  s.add({"target", Type::string, "ws://127.0.0.1:8080/", "server URL(s), comma separated"})
      .add({"target_spread",
            Type::string,
            "bots",
            "with several targets: bots (the bots of one room round robin over the targets: "
            "cross-node rooms in a cluster) or rooms (each room on one target: independent "
            "servers)",
            -1e300,
            1e300,
            {"bots", "rooms"}})
      .add(
          {"seed", Type::integer, "1", "seed for every random choice (reproducible runs)", 0, 9e18})
      .add({"ramp_up", Type::duration, "5s", "time to reach the room target", 0, 86'400'000})
      .add({"duration", Type::duration, "30s", "steady phase", 0, 7 * 86'400'000.0})
      .add({"ramp_down", Type::duration, "30s",
            "after the steady phase: time running games get to finish", 0, 86'400'000})
      .add({"model",
            Type::string,
            "closed",
            "closed (fixed room population) or open (arrival rate)",
            -1e300,
            1e300,
            {"closed", "open"}})
      .add({"rooms", Type::integer, "10", "closed model: concurrent rooms (0: app bots only)", 0,
            1'000'000})
      .add({"arrival_rate", Type::number, "1", "open model: new rooms per second", 0.001, 100000})
      .add({"max_rooms", Type::integer, "10000", "open model: cap on concurrent rooms", 1,
            1'000'000})
      .add({"games_per_room", Type::integer, "1", "games a room plays before its players leave", 1,
            1000})
      .add({"mix.spy", Type::number, "1", "weight of spy rooms", 0, 1e6})
      .add({"mix.skribble", Type::number, "1", "weight of skribble rooms", 0, 1e6})
      .add({"spy.players", Type::integer, "4", "players per spy room", 3, 6})
      .add({"spy.mode",
            Type::string,
            "mixed",
            "word_spy, wordless_spy or mixed",
            -1e300,
            1e300,
            {"word_spy", "wordless_spy", "mixed"}})
      .add({"spy.vote_strategy",
            Type::string,
            "oracle",
            "oracle (civilians find the spy), random or abstain",
            -1e300,
            1e300,
            {"oracle", "random", "abstain"}})
      .add({"skribble.players", Type::integer, "4", "players per skribble room", 2, 20})
      .add({"skribble.rounds", Type::integer, "2", "rounds per skribble game", 1, 20})
      .add({"skribble.drawtime", Type::integer, "15",
            "draw time setting (seconds, scaled by the server)", 15, 240})
      .add({"skribble.stroke_rate", Type::number, "20",
            "drawing messages per second from the drawer", 0.1, 10000})
      .add({"skribble.stroke_batch", Type::integer, "8", "points per drawing message", 1, 1000})
      .add({"skribble.guess_probability", Type::number, "0.8", "chance a guesser finds the word", 0,
            1})
      .add({"skribble.wrong_guesses", Type::integer, "1", "wrong guesses before the right one", 0,
            100})
      .add(
          {"think_time", Type::duration, "100ms", "pause before a bot acts on its turn", 0, 60'000})
      .add({"app.users", Type::integer, "0", "app bots: presence, direct messages, friend requests",
            0, 1'000'000})
      .add({"app.dm_interval", Type::duration, "1s", "each app bot sends a DM this often", 10,
            3'600'000})
      .add({"faults.reconnect_storm_at", Type::duration, "0ms",
            "drop and reconnect a fraction of bots at this time; 0 = off", 0, 86'400'000})
      .add(
          {"faults.reconnect_fraction", Type::number, "0.2", "fraction of bots in the storm", 0, 1})
      .add({"faults.slow_reader_fraction", Type::number, "0",
            "fraction of bots that stop reading for a while", 0, 1})
      .add({"faults.slow_reader_pause", Type::duration, "5s",
            "how long a slow reader stops reading", 0, 3'600'000})
      .add({"connect_timeout", Type::duration, "5s", "WebSocket connect and handshake deadline",
            100, 60'000})
      .add({"abort_after", Type::duration, "10s",
            "give up when no bot has held a live connection this long (target gone); 0 = never", 0,
            86'400'000})
      .add({"source_addresses", Type::integer, "0",
            "bind to 127.0.0.2.. for more than 64k connections; 0 = off", 0, 250})
      .add({"metrics.listen", Type::string, "",
            "serve /metrics here while running (host:port); empty = off"})
      .add({"progress_interval", Type::duration, "5s", "progress line interval when not on a TTY",
            100, 3'600'000})
      .add({"auth.token_secret", Type::string, "",
            "the target's auth.secret when it runs auth.mode token (ROOMCTL_AUTH_TOKEN_SECRET)"})
      .add({"thresholds.*.*", Type::string, "", "e.g. thresholds.fanout_latency.p99: \"<20ms\""});
  return s;
}

double parse_bound(const std::string& text, bool& ok) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' ||
                             text[i] == 'e' || text[i] == '-'))
    ++i;
  // The characters above are not yet a number ("e", "-.", "1e"): std::stod says so by throwing.
  std::size_t used = 0;
  double v = 0;
  try {
    v = i > 0 ? std::stod(text.substr(0, i), &used) : 0;
  } catch (const std::exception&) {
    used = 0;
  }
  ok = i > 0 && used == i;
  if (!ok) return 0;
  std::string unit = text.substr(i);
  if (unit == "" || unit == "s") return v;
  if (unit == "ms") return v / 1e3;
  if (unit == "us") return v / 1e6;
  if (unit == "%") return v / 100;
  ok = false;
  return 0;
}
}  // namespace

const config::Schema& loadtest_schema() {
  static const config::Schema s = build();
  return s;
}

Threshold parse_threshold(const std::string& metric, const std::string& stat,
                          const std::string& text) {
  Threshold t{metric, stat, "", 0, text};
  std::string rest = text;
  while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  for (const char* op : {"<=", ">=", "<", ">"}) {
    if (rest.rfind(op, 0) == 0) {
      t.op = op;
      rest = rest.substr(std::string(op).size());
      break;
    }
  }
  while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  bool ok = !t.op.empty();
  if (ok) t.bound = parse_bound(rest, ok);
  if (!ok)
    throw config::ConfigError(
        "thresholds." + metric + "." + stat +
        ": expected a comparison like \"<20ms\", \">=100\" or \"<0.001\", got \"" + text + "\"");
  return t;
}

std::vector<std::string> threshold_stats(const std::string& metric) {
  auto it = metric_catalogue().find(metric);
  if (it == metric_catalogue().end()) return {};
  if (it->second.kind == MetricInfo::Kind::histogram)
    return {"p50", "p90", "p99", "p999", "max", "mean", "count", "negative"};
  if (metric == "errors") return {"rate", "count"};
  if (metric == "games") return {"completed"};
  return {"count"};
}

// A misspelt metric or statistic would otherwise be "no data" and pass silently.
void check_threshold_names(const Threshold& t) {
  std::string key = "thresholds." + t.metric + "." + t.stat;
  std::vector<std::string> metrics;
  for (const auto& [name, info] : metric_catalogue()) metrics.push_back(name);
  if (!metric_catalogue().count(t.metric))
    throw config::ConfigError(key + ": unknown metric \"" + t.metric + "\"" +
                              util::did_you_mean(t.metric, metrics));
  auto stats = threshold_stats(t.metric);
  if (std::find(stats.begin(), stats.end(), t.stat) == stats.end()) {
    std::string allowed;
    for (const auto& st : stats) allowed += (allowed.empty() ? "" : ", ") + st;
    throw config::ConfigError(key + ": \"" + t.metric + "\" has no statistic \"" + t.stat + "\"" +
                              util::did_you_mean(t.stat, stats) + "; it has " + allowed);
  }
}

std::size_t target_index(const std::string& spread, std::size_t targets, std::size_t room_no,
                         std::size_t bot) {
  if (targets == 0) return 0;
  return (room_no + (spread == "bots" ? bot : 0)) % targets;
}

LoadtestOptions loadtest_options(const config::Settings& s) {
  LoadtestOptions o;
  std::stringstream targets(s.string("target"));
  for (std::string t; std::getline(targets, t, ',');) {
    while (!t.empty() && t.front() == ' ') t.erase(0, 1);
    if (t.rfind("ws://", 0) != 0)
      throw config::ConfigError("target: expected ws://HOST:PORT/, got \"" + t + "\"");
    o.targets.push_back(t);
  }
  if (o.targets.empty()) throw config::ConfigError("target: no target");
  o.target_spread = s.string("target_spread");
  o.seed = static_cast<std::uint64_t>(s.integer("seed"));
  o.ramp_up_ms = s.millis("ramp_up");
  o.duration_ms = s.millis("duration");
  o.ramp_down_ms = s.millis("ramp_down");
  o.model = s.string("model");
  o.rooms = static_cast<int>(s.integer("rooms"));
  o.arrival_rate = s.number("arrival_rate");
  o.max_rooms = static_cast<int>(s.integer("max_rooms"));
  o.games_per_room = static_cast<int>(s.integer("games_per_room"));
  o.spy_weight = s.number("mix.spy");
  o.skribble_weight = s.number("mix.skribble");
  if (o.spy_weight + o.skribble_weight <= 0)
    throw config::ConfigError("mix: at least one game needs a weight");
  o.spy_players = static_cast<int>(s.integer("spy.players"));
  o.spy_mode = s.string("spy.mode");
  o.vote_strategy = s.string("spy.vote_strategy");
  o.skribble_players = static_cast<int>(s.integer("skribble.players"));
  o.skribble_rounds = static_cast<int>(s.integer("skribble.rounds"));
  o.skribble_drawtime = static_cast<int>(s.integer("skribble.drawtime"));
  o.stroke_rate = s.number("skribble.stroke_rate");
  o.stroke_batch = static_cast<int>(s.integer("skribble.stroke_batch"));
  o.guess_probability = s.number("skribble.guess_probability");
  o.wrong_guesses = static_cast<int>(s.integer("skribble.wrong_guesses"));
  o.think_ms = s.millis("think_time");
  o.app_users = static_cast<int>(s.integer("app.users"));
  o.dm_interval_ms = s.millis("app.dm_interval");
  o.storm_at_ms = s.millis("faults.reconnect_storm_at");
  o.storm_fraction = s.number("faults.reconnect_fraction");
  o.slow_reader_fraction = s.number("faults.slow_reader_fraction");
  o.slow_reader_pause_ms = s.millis("faults.slow_reader_pause");
  o.connect_timeout_ms = s.millis("connect_timeout");
  o.source_addresses = static_cast<int>(s.integer("source_addresses"));
  o.abort_after_ms = s.millis("abort_after");
  o.metrics_listen = s.string("metrics.listen");
  o.progress_interval_ms = s.millis("progress_interval");
  o.token_secret = s.string("auth.token_secret");
  for (const auto& key : s.keys_under("thresholds.")) {
    auto rest = key.substr(std::string("thresholds.").size());
    auto dot = rest.find('.');
    if (s.string(key).empty()) continue;
    o.thresholds.push_back(
        parse_threshold(rest.substr(0, dot), rest.substr(dot + 1), s.string(key)));
    check_threshold_names(o.thresholds.back());
  }
  return o;
}

}  // namespace roomctl::loadgen
