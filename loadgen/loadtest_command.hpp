// `roomctl loadtest`: checks the profile, the outputs and the target before anything runs, prints
// a start banner, runs the workers (loadgen/coordinator.hpp) once or step by step for a capacity
// search (loadgen/capacity_search.hpp), then prints the summary, writes the report and judges the
// thresholds (exit 3 on failure, 6 when interrupted).
#pragma once

#include <string>
#include <vector>

namespace roomctl::loadgen {

struct LoadtestArgs {
  std::string profile;
  std::vector<std::string> sets;
  int workers = 1;
  std::string report;             // --report FILE.json
  std::vector<std::string> outs;  // --out json=FILE: per-second measurements
  // Capacity search: the parameter to ramp (rooms or stroke_rate), the SLOs every step must
  // hold ("fanout_latency.p99<10ms"), a bound on the steps, the server's admin address for its CPU.
  std::string search;
  std::vector<std::string> slos;
  int max_steps = 8;
  std::string server_admin;
  std::string worker;  // hidden: "i/N" when this process is a worker
  std::string run_id;  // hidden: shared by the workers of one run
};

int loadtest(const LoadtestArgs& args, char** envp);

}  // namespace roomctl::loadgen
