// Capacity search: ramps one parameter of a load test (rooms, or the drawers' stroke rate) step
// by step, each step a whole run judged by SLOs, and reports the largest value whose SLOs all
// held with the table of steps. Doubling finds a failing step, then bisection narrows the gap;
// the number of steps is bounded, so the search stops by itself.
#pragma once

#include <boost/json/object.hpp>
#include <iosfwd>
#include <string>
#include <vector>

#include "loadgen/coordinator.hpp"
#include "loadgen/loadtest_command.hpp"
#include "loadgen/loadtest_options.hpp"

namespace roomctl::loadgen {

// "fanout_latency.p99<10ms" -> a threshold. Throws config::ConfigError.
std::vector<Threshold> parse_slos(const std::vector<std::string>& texts);
// Throws config::ConfigError for an unknown parameter or a bad step bound.
void check_search(const LoadtestArgs& args, const LoadtestOptions& options);

// Runs the search; prints the table and the result; writes `run` plus the steps to the report.
// Exit code: 0 when some value held, 3 when none did, 6 when interrupted.
int capacity_search(const LoadtestArgs& args, const LoadtestOptions& options,
                    std::vector<Threshold> slos, const OnMerged& on_merged, boost::json::object run,
                    std::ostream* report);

}  // namespace roomctl::loadgen
