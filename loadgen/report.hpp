// The end of a load test: threshold verdicts, the summary table and the JSON report.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "loadgen/loadtest_options.hpp"
#include "loadgen/stats.hpp"

namespace roomctl::loadgen {

struct Verdict {
  Threshold threshold;
  double value = 0;  // seconds for latencies
  bool known = false;
  bool passed = false;
};

// The value a threshold names: <histogram>.<p50|p90|p99|p999|max|mean|count>,
// errors.rate (errors per message sent), errors.count, games.completed, or <counter>.count.
bool metric_value(const Stats& stats, const std::string& metric, const std::string& stat,
                  double& out);
std::vector<Verdict> evaluate(const Stats& stats, const std::vector<Threshold>& thresholds);
std::string summary_table(const Stats& stats, const std::vector<Verdict>& verdicts,
                          double elapsed_s);
boost::json::object report_json(const Stats& stats, const std::vector<Verdict>& verdicts,
                                const LoadtestOptions& options, double elapsed_s, int workers);

}  // namespace roomctl::loadgen
