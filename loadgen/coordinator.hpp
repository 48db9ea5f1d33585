// One run of a load test over N worker processes (each a `roomctl loadtest --worker i/N`, in its
// own process group so that a terminal's Ctrl-C reaches the coordinator alone): it merges their
// per-second snapshots into the live progress line, /metrics and the --out stream, and forwards
// an interrupt to them exactly once so that they stop and report what they measured.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "loadgen/loadtest_command.hpp"
#include "loadgen/loadtest_options.hpp"
#include "loadgen/stats.hpp"

namespace roomctl::loadgen {

struct RunOutcome {
  Stats stats;
  double elapsed_s = 0;
  bool interrupted = false;     // SIGINT/SIGTERM reached the coordinator
  bool workers_failed = false;  // a worker crashed or never sent its final snapshot
  std::string aborted;          // why a worker gave up (no live connection), or empty
};

// Called with the merged measurements about once a second.
using OnMerged = std::function<void(const Stats&, double elapsed_s)>;

// Runs the workers to their end. `extra_sets` are added to the profile overrides (the capacity
// search sets its parameter this way).
RunOutcome run_workers(const LoadtestArgs& args, const LoadtestOptions& options,
                       const std::vector<std::string>& extra_sets, const OnMerged& on_merged);

// SIGINT/SIGTERM: the first asks the running workers to stop; a second exits at once.
void install_interrupt_handlers();
bool interrupt_requested();

}  // namespace roomctl::loadgen
