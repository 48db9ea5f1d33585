// Stats merging, JSON and Prometheus exposition.
#include "loadgen/stats.hpp"

#include <boost/json/value_to.hpp>
#include <cstdio>

namespace roomctl::loadgen {

namespace json = boost::json;

void Stats::merge(const Stats& o) {
  for (const auto& [k, h] : o.histograms) histograms[k].merge(h);
  for (const auto& [k, v] : o.counters) counters[k] += v;
  for (const auto& [k, v] : o.errors) errors[k] += v;
  for (const auto& [k, v] : o.violations) violations[k] += v;
}

json::object Stats::to_json() const {
  json::object h, c, e, v;
  for (const auto& [k, hist] : histograms) h[k] = hist.to_json();
  for (const auto& [k, n] : counters) c[k] = n;
  for (const auto& [k, n] : errors) e[k] = n;
  for (const auto& [k, n] : violations) v[k] = n;
  return {{"histograms", std::move(h)},
          {"counters", std::move(c)},
          {"errors", std::move(e)},
          {"violations", std::move(v)}};
}

Stats Stats::from_json(const json::object& o) {
  Stats s;
  for (const auto& [k, v] : o.at("histograms").as_object())
    s.histograms[std::string(k)] = Histogram::from_json(v.as_object());
  for (const auto& [k, v] : o.at("counters").as_object())
    s.counters[std::string(k)] = json::value_to<std::uint64_t>(v);
  for (const auto& [k, v] : o.at("errors").as_object())
    s.errors[std::string(k)] = json::value_to<std::uint64_t>(v);
  for (const auto& [k, v] : o.at("violations").as_object())
    s.violations[std::string(k)] = json::value_to<std::uint64_t>(v);
  return s;
}

namespace {
using Kind = MetricInfo::Kind;
}  // namespace

// Every series a run can produce: what it is, for the HELP lines of the live /metrics and for
// checking that a threshold names something that exists.
const std::map<std::string, MetricInfo>& metric_catalogue() {
  static const std::map<std::string, MetricInfo> catalogue{
      {"messages_sent", {Kind::counter, "WebSocket messages the bots sent"}},
      {"messages_received", {Kind::counter, "WebSocket messages the bots received"}},
      {"bytes_sent", {Kind::counter, "Bytes the bots wrote to their sockets"}},
      {"bytes_received", {Kind::counter, "Bytes the bots read from their sockets"}},
      {"connect_attempts", {Kind::counter, "WebSocket connections the bots tried to open"}},
      {"connections", {Kind::counter, "WebSocket connections opened (upgrade completed)"}},
      {"disconnects",
       {Kind::counter, "Connections lost or refused while their room was still playing"}},
      {"reconnects",
       {Kind::counter, "Connections reopened (a reconnect storm, or after a server restart)"}},
      {"server_reconnects",
       {Kind::counter,
        "Bots that reconnected after the server closed them with 1012 (restart), 4004 (room "
        "moved between cluster nodes) or lost their connection (1006), as real clients do"}},
      {"rooms_started", {Kind::counter, "Rooms the load generator started"}},
      {"rooms_unfinished", {Kind::counter, "Rooms still playing when the run ended"}},
      {"arrivals_dropped", {Kind::counter, "Open model: arrivals dropped at the max_rooms cap"}},
      {"games_started", {Kind::counter, "Games started, as seen by the bots"}},
      {"games_completed", {Kind::counter, "Games played to their end"}},
      {"spy_games_completed", {Kind::counter, "Spy games played to their end"}},
      {"skribble_games_completed", {Kind::counter, "Skribble games played to their end"}},
      {"offered_messages", {Kind::counter, "Drawing messages the schedule offered"}},
      {"expected_refusals",
       {Kind::counter, "Error replies the game's timing makes unavoidable (not errors)"}},
      {"errors",
       {Kind::counter, "Errors seen by the bots (refusals, failed connects, unexpected closes)"}},
      {"invariant_violations", {Kind::counter, "Game invariant violations the bots observed"}},
      {"dm_sent", {Kind::counter, "Direct messages sent to online users"}},
      {"dm_sent_offline",
       {Kind::counter, "Direct messages sent to offline users (queued by the server)"}},
      {"dm_received", {Kind::counter, "Direct messages received live"}},
      {"dm_queued_received",
       {Kind::counter, "Queued direct messages received when their user came online"}},
      {"friend_requests_sent", {Kind::counter, "Friend requests sent"}},
      {"friend_requests_received", {Kind::counter, "Friend requests received"}},
      {"friend_accepts_received", {Kind::counter, "Friend request acceptances received"}},
      {"worker_cpu_us", {Kind::counter, "CPU time used by the load generator's workers"}},
      {"games", {Kind::counter, "Games: games.completed counts the games played to their end"}},
      {"connect_latency",
       {Kind::histogram, "Time from TCP connect to the completed WebSocket upgrade"}},
      {"join_latency", {Kind::histogram, "Time from a join request to its reply"}},
      {"game_start_latency",
       {Kind::histogram, "Time from the start request to the game's start frame"}},
      {"fanout_latency",
       {Kind::histogram,
        "Time from a message's intended send time to its arrival at another room member"}},
      {"chat_rtt", {Kind::histogram, "Time from a chat message to its echo back to the sender"}},
      {"dm_latency", {Kind::histogram, "Time from sending a direct message to its live delivery"}},
  };
  return catalogue;
}

namespace {
std::string help(const std::string& key) {
  auto it = metric_catalogue().find(key);
  return it != metric_catalogue().end() ? it->second.help : "Load test counter " + key;
}
}  // namespace

// Every series carries the run's id (label `run`): runs scraped one after another by the same
// Prometheus stay apart on the load-test dashboard.
std::string Stats::prometheus(const std::string& run_id) const {
  std::string out;
  char buf[320];
  const std::string run = "run=\"" + run_id + "\"";
  for (const auto& [k, n] : counters) {
    if (k == "worker_cpu_us") {  // exported in the base unit, seconds
      std::snprintf(buf, sizeof buf,
                    "# HELP roomctl_loadtest_worker_cpu_seconds_total CPU time used by the load "
                    "generator's workers\n# TYPE roomctl_loadtest_worker_cpu_seconds_total "
                    "counter\nroomctl_loadtest_worker_cpu_seconds_total{%s} %.6f\n",
                    run.c_str(), static_cast<double>(n) / 1e6);
      out += buf;
      continue;
    }
    std::string name = "roomctl_loadtest_" + k + "_total";
    out += "# HELP " + name + " " + help(k) + "\n# TYPE " + name + " counter\n";
    out += name + "{" + run + "} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP roomctl_loadtest_errors_by_code_total Errors seen by the bots, by code\n"
      "# TYPE roomctl_loadtest_errors_by_code_total counter\n";
  for (const auto& [code, n] : errors)
    out += "roomctl_loadtest_errors_by_code_total{" + run + ",code=\"" + code + "\"} " +
           std::to_string(n) + "\n";
  out +=
      "# HELP roomctl_loadtest_invariant_violations_by_kind_total Game invariant violations, by "
      "invariant\n"
      "# TYPE roomctl_loadtest_invariant_violations_by_kind_total counter\n";
  for (const auto& [what, n] : violations)
    out += "roomctl_loadtest_invariant_violations_by_kind_total{" + run + ",invariant=\"" + what +
           "\"} " + std::to_string(n) + "\n";
  static const double kBounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                   0.1,    0.2,   0.5,   1,     2,    5,    10};
  for (const auto& [k, h] : histograms) {
    std::string name = "roomctl_loadtest_" + k + "_seconds";
    out += "# HELP " + name + " " + help(k) + "\n# TYPE " + name + " histogram\n";
    for (double b : kBounds) {
      std::snprintf(
          buf, sizeof buf, "%s_bucket{%s,le=\"%g\"} %llu\n", name.c_str(), run.c_str(), b,
          static_cast<unsigned long long>(h.count_at_or_below(static_cast<std::int64_t>(b * 1e6))));
      out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "%s_bucket{%s,le=\"+Inf\"} %llu\n%s_sum{%s} %.6f\n%s_count{%s} %llu\n",
                  name.c_str(), run.c_str(), static_cast<unsigned long long>(h.count()),
                  name.c_str(), run.c_str(), h.sum_seconds(), name.c_str(), run.c_str(),
                  static_cast<unsigned long long>(h.count()));
    out += buf;
  }
  return out;
}

}  // namespace roomctl::loadgen
