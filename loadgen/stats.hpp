// What a load test measures: named latency histograms, named counters and errors by code.
// Single-threaded per worker process; workers ship snapshots as JSON and the parent merges them.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>

#include "loadgen/histogram.hpp"

namespace roomctl::loadgen {

struct MetricInfo {
  enum class Kind { counter, histogram } kind;
  const char* help;
};
// Every counter and histogram a run can produce, by name.
const std::map<std::string, MetricInfo>& metric_catalogue();

// Histogram names: connect_latency, join_latency, game_start_latency, chat_rtt, fanout_latency.
// Counter names: messages_sent, messages_received, bytes_sent, bytes_received, connections,
// disconnects, reconnects, games_completed, games_started, rooms_started, invariant_violations,
// errors, dm_sent, dm_received, offered_messages.
struct Stats {
  std::map<std::string, Histogram> histograms;
  std::map<std::string, std::uint64_t> counters;
  std::map<std::string, std::uint64_t> errors;      // by code
  std::map<std::string, std::uint64_t> violations;  // by invariant

  void inc(const std::string& counter, std::uint64_t n = 1) { counters[counter] += n; }
  // A counter's storage, for hot paths that count per frame: looked up once, then incremented
  // directly (the map never moves its elements).
  std::uint64_t& slot(const std::string& counter) { return counters[counter]; }
  Histogram& histogram(const std::string& name) { return histograms[name]; }
  void error(const std::string& code) {
    ++errors[code];
    ++counters["errors"];
  }
  void violation(const std::string& what) {
    ++violations[what];
    ++counters["invariant_violations"];
  }
  void latency(const std::string& name, std::int64_t micros) { histograms[name].record(micros); }
  std::uint64_t counter(const std::string& name) const {
    auto it = counters.find(name);
    return it == counters.end() ? 0 : it->second;
  }

  void merge(const Stats& other);
  boost::json::object to_json() const;
  static Stats from_json(const boost::json::object& o);
  // Prometheus text: roomctl_loadtest_* counters and real histograms (seconds), each series
  // labelled with the run's id.
  std::string prometheus(const std::string& run_id) const;
};

}  // namespace roomctl::loadgen
