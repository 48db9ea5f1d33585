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
// What each series means, for the HELP lines of the live /metrics.
const std::map<std::string, const char*>& help_texts() {
  static const std::map<std::string, const char*> texts{
      {"messages_sent", "WebSocket messages the bots sent"},
      {"messages_received", "WebSocket messages the bots received"},
      {"bytes_sent", "Bytes the bots wrote to their sockets"},
      {"bytes_received", "Bytes the bots read from their sockets"},
      {"connections", "WebSocket connections opened (upgrade completed)"},
      {"disconnects", "Connections lost or refused while their room was still playing"},
      {"reconnects", "Connections reopened by a reconnect storm"},
      {"rooms_started", "Rooms the load generator started"},
      {"rooms_unfinished", "Rooms still playing when the run ended"},
      {"arrivals_dropped", "Open model: arrivals dropped at the max_rooms cap"},
      {"games_started", "Games started, as seen by the bots"},
      {"games_completed", "Games played to their end"},
      {"spy_games_completed", "Spy games played to their end"},
      {"skribble_games_completed", "Skribble games played to their end"},
      {"offered_messages", "Drawing messages the schedule offered"},
      {"expected_refusals", "Error replies the game's timing makes unavoidable (not errors)"},
      {"errors", "Errors seen by the bots (refusals, failed connects, unexpected closes)"},
      {"invariant_violations", "Game invariant violations the bots observed"},
      {"dm_sent", "Direct messages sent to online users"},
      {"dm_sent_offline", "Direct messages sent to offline users (queued by the server)"},
      {"dm_received", "Direct messages received live"},
      {"dm_queued_received", "Queued direct messages received when their user came online"},
      {"friend_requests_sent", "Friend requests sent"},
      {"friend_requests_received", "Friend requests received"},
      {"friend_accepts_received", "Friend request acceptances received"},
      {"connect_latency", "Time from TCP connect to the completed WebSocket upgrade"},
      {"join_latency", "Time from a join request to its reply"},
      {"game_start_latency", "Time from the start request to the game's start frame"},
      {"fanout_latency",
       "Time from a message's intended send time to its arrival at another room member"},
      {"chat_rtt", "Time from a chat message to its echo back to the sender"},
      {"dm_latency", "Time from sending a direct message to its live delivery"},
  };
  return texts;
}

std::string help(const std::string& key) {
  auto it = help_texts().find(key);
  return it != help_texts().end() ? it->second : "Load test counter " + key;
}
}  // namespace

std::string Stats::prometheus() const {
  std::string out;
  char buf[256];
  for (const auto& [k, n] : counters) {
    if (k == "worker_cpu_us") {  // exported in the base unit, seconds
      std::snprintf(buf, sizeof buf,
                    "# HELP roomctl_loadtest_worker_cpu_seconds_total CPU time used by the load "
                    "generator's workers\n# TYPE roomctl_loadtest_worker_cpu_seconds_total "
                    "counter\nroomctl_loadtest_worker_cpu_seconds_total %.6f\n",
                    static_cast<double>(n) / 1e6);
      out += buf;
      continue;
    }
    std::string name = "roomctl_loadtest_" + k + "_total";
    out += "# HELP " + name + " " + help(k) + "\n# TYPE " + name + " counter\n";
    out += name + " " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP roomctl_loadtest_errors_by_code_total Errors seen by the bots, by code\n"
      "# TYPE roomctl_loadtest_errors_by_code_total counter\n";
  for (const auto& [code, n] : errors)
    out +=
        "roomctl_loadtest_errors_by_code_total{code=\"" + code + "\"} " + std::to_string(n) + "\n";
  out +=
      "# HELP roomctl_loadtest_invariant_violations_by_kind_total Game invariant violations, by "
      "invariant\n"
      "# TYPE roomctl_loadtest_invariant_violations_by_kind_total counter\n";
  for (const auto& [what, n] : violations)
    out += "roomctl_loadtest_invariant_violations_by_kind_total{invariant=\"" + what + "\"} " +
           std::to_string(n) + "\n";
  static const double kBounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                   0.1,    0.2,   0.5,   1,     2,    5,    10};
  for (const auto& [k, h] : histograms) {
    std::string name = "roomctl_loadtest_" + k + "_seconds";
    out += "# HELP " + name + " " + help(k) + "\n# TYPE " + name + " histogram\n";
    for (double b : kBounds) {
      std::snprintf(
          buf, sizeof buf, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(), b,
          static_cast<unsigned long long>(h.count_at_or_below(static_cast<std::int64_t>(b * 1e6))));
      out += buf;
    }
    std::snprintf(buf, sizeof buf, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                  name.c_str(), static_cast<unsigned long long>(h.count()), name.c_str(),
                  h.sum_seconds(), name.c_str(), static_cast<unsigned long long>(h.count()));
    out += buf;
  }
  return out;
}

}  // namespace roomctl::loadgen
