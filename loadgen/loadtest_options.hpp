// The load test profile (profiles/loadtest/*.yaml): schema, typed options and thresholds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace roomctl::config {
class Schema;
class Settings;
}  // namespace roomctl::config

namespace roomctl::loadgen {

struct Threshold {
  std::string metric;  // e.g. fanout_latency, errors, games
  std::string stat;    // p50, p90, p99, p999, max, mean, rate, count, completed
  std::string op;      // <, <=, >, >=
  double bound;        // in the metric's unit: seconds for latencies
  std::string text;    // as written, for the report
};

struct LoadtestOptions {
  std::vector<std::string> targets;  // ws://host:port/path
  std::string target_spread;         // bots (a room's bots over every target) or rooms
  std::uint64_t seed;
  std::int64_t ramp_up_ms, duration_ms, ramp_down_ms;
  std::string model;  // closed or open
  int rooms;
  double arrival_rate;
  int max_rooms;
  int games_per_room;
  double spy_weight, skribble_weight;
  int spy_players;
  std::string spy_mode, vote_strategy;
  int skribble_players, skribble_rounds, skribble_drawtime;
  double stroke_rate;
  int stroke_batch;
  double guess_probability;
  int wrong_guesses;
  std::int64_t think_ms;
  int app_users;
  std::int64_t dm_interval_ms;
  std::int64_t storm_at_ms;
  double storm_fraction;
  double slow_reader_fraction;
  std::int64_t slow_reader_pause_ms;
  std::int64_t connect_timeout_ms;
  int source_addresses;  // > 0: bind client sockets to 127.0.0.2 .. 127.0.0.(1+N)
  std::int64_t abort_after_ms;
  std::string metrics_listen;
  std::int64_t progress_interval_ms;
  std::vector<Threshold> thresholds;
  std::string token_secret;  // the server's auth.secret: bots prove their userIds (auth.mode token)
};

// Which of `targets` bot `bot` of room `room_no` connects to. spread "bots": a room's bots round
// robin over the targets, starting at a target that moves on with each room (so that a cluster
// sees cross-node rooms and even load); "rooms": every bot of a room on the room's target.
std::size_t target_index(const std::string& spread, std::size_t targets, std::size_t room_no,
                         std::size_t bot);

const config::Schema& loadtest_schema();
// Throws config::ConfigError on a bad target or threshold.
LoadtestOptions loadtest_options(const config::Settings& settings);
// The statistics a threshold may name for a metric (empty for an unknown metric).
std::vector<std::string> threshold_stats(const std::string& metric);
// Throws config::ConfigError, with a suggestion, for an unknown metric or statistic.
void check_threshold_names(const Threshold& t);
Threshold parse_threshold(const std::string& metric, const std::string& stat,
                          const std::string& text);

}  // namespace roomctl::loadgen
