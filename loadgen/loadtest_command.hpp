// `roomctl loadtest`: the coordinator starts N worker processes (each a `roomctl loadtest
// --worker i/N`), merges their per-second snapshots into the live progress line and /metrics,
// then prints the summary, writes the report and judges the thresholds (exit 3 on failure).
#pragma once

#include <string>
#include <vector>

namespace roomctl::loadgen {

struct LoadtestArgs {
  std::string profile;
  std::vector<std::string> sets;
  int workers = 1;
  std::string report;  // --report FILE.json
  std::string worker;  // hidden: "i/N" when this process is a worker
  std::string run_id;  // hidden: shared by the workers of one run
};

int loadtest(const LoadtestArgs& args, char** envp);

}  // namespace roomctl::loadgen
