// One load test worker: its share of rooms under the arrival model (closed: a fixed population
// reached over the ramp-up and replaced as rooms finish; open: Poisson arrivals), app bots,
// fault injection, and a snapshot of its measurements every second. Bounded in time: it stops by
// itself after ramp-up + duration + ramp-down.
#pragma once

#include <functional>
#include <string>

#include "loadgen/loadtest_options.hpp"
#include "loadgen/stats.hpp"

namespace roomctl::loadgen {

struct Progress {
  double elapsed_s = 0;
  std::string phase;  // ramp-up, steady, ramp-down, done
  int active_rooms = 0;
  std::size_t connections = 0;
  std::string aborted;  // why the worker gave up early, or empty
  bool interrupted = false;
};

struct WorkerPlan {
  int index = 0;
  int count = 1;
  std::string run_id;
};

class Runner {
 public:
  using Snapshot = std::function<void(const Stats&, const Progress&)>;
  Runner(const LoadtestOptions& options, WorkerPlan plan, Snapshot on_snapshot);
  // Runs to the end; returns the final measurements.
  Stats run();

  class Impl;

 private:
  const LoadtestOptions& options_;
  WorkerPlan plan_;
  Snapshot on_snapshot_;
};

}  // namespace roomctl::loadgen
