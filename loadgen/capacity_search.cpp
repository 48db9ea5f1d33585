// The search loop, one row per step.
#include "loadgen/capacity_search.hpp"

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "inspect/admin_client.hpp"
#include "loadgen/report.hpp"
#include "server/config/settings.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::loadgen {

namespace json = boost::json;

namespace {
struct Step {
  double value = 0;
  bool passed = false;
  json::object row;
};

bool integer_parameter(const std::string& p) {
  return p == "rooms";
}

std::string key_of(const std::string& p) {
  return p == "rooms" ? "rooms" : "skribble.stroke_rate";
}

std::string text_of(const std::string& p, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, integer_parameter(p) ? "%.0f" : "%g", v);
  return buf;
}

// The server's CPU seconds from its admin /metrics, when it is reachable.
std::optional<double> server_cpu(const std::string& admin) {
  if (admin.empty()) return std::nullopt;
  auto r = inspect::AdminClient(admin, "").get("/metrics");
  if (r.status != 200) return std::nullopt;
  std::string name = "roomctl_process_cpu_seconds_total ";
  auto at = r.body.find("\n" + name);
  if (at == std::string::npos) return std::nullopt;
  return std::atof(r.body.c_str() + at + 1 + name.size());
}

double rate(const Stats& s, const char* counter, double seconds) {
  return seconds > 0 ? static_cast<double>(s.counter(counter)) / seconds : 0;
}
}  // namespace

std::vector<Threshold> parse_slos(const std::vector<std::string>& texts) {
  std::vector<Threshold> out;
  for (const auto& text : texts) {
    auto op = text.find_first_of("<>");
    auto dot = text.find('.');
    if (op == std::string::npos || dot == std::string::npos || dot > op)
      throw config::ConfigError("--slo \"" + text +
                                "\": expected METRIC.STAT<BOUND, e.g. fanout_latency.p99<10ms");
    auto t =
        parse_threshold(text.substr(0, dot), text.substr(dot + 1, op - dot - 1), text.substr(op));
    check_threshold_names(t);
    out.push_back(t);
  }
  return out;
}

void check_search(const LoadtestArgs& a, const LoadtestOptions& o) {
  if (a.search != "rooms" && a.search != "stroke_rate")
    throw config::ConfigError("--search " + a.search + ": expected rooms or stroke_rate");
  if (a.search == "rooms" && o.model != "closed")
    throw config::ConfigError("--search rooms needs the closed model (model: closed)");
  if (a.max_steps < 1 || a.max_steps > 30) throw config::ConfigError("--max-steps must be 1..30");
}

int capacity_search(const LoadtestArgs& a, const LoadtestOptions& o, std::vector<Threshold> slos,
                    const OnMerged& on_merged, json::object run, std::ostream* report) {
  if (slos.empty()) slos = o.thresholds;
  if (slos.empty()) {
    std::cerr << "roomctl loadtest: --search needs an --slo (or thresholds in the profile)\n";
    return exit_code::usage;
  }
  double start = a.search == "rooms" ? o.rooms : o.stroke_rate;
  std::optional<double> good, bad;  // the largest value that held, the smallest that did not
  std::vector<Step> steps;
  bool interrupted = false;
  std::printf(
      "| %s | drawing msgs/s offered | deliveries/s | frames received/s | fan-out p50 | "
      "fan-out p99 | errors | server CPU | verdict |\n|---|---|---|---|---|---|---|---|---|\n",
      a.search.c_str());
  std::fflush(stdout);
  double value = start;
  for (int n = 0; n < a.max_steps && !interrupted; ++n) {
    auto cpu0 = server_cpu(a.server_admin);
    LoadtestArgs step = a;
    step.run_id = a.run_id + "s" + std::to_string(n);  // rooms of earlier steps may linger
    RunOutcome r =
        run_workers(step, o, {key_of(a.search) + "=" + text_of(a.search, value)}, on_merged);
    auto cpu1 = server_cpu(a.server_admin);
    interrupted = r.interrupted;
    auto verdicts = evaluate(r.stats, slos);
    bool passed = !r.workers_failed && r.aborted.empty() && !interrupted;
    for (const auto& v : verdicts) passed = passed && v.passed;
    const auto& fan = r.stats.histograms.count("fanout_latency")
                          ? r.stats.histograms.at("fanout_latency")
                          : Histogram();
    double secs = r.elapsed_s;
    double errors = 0;
    metric_value(r.stats, "errors", "rate", errors);
    std::optional<double> cpu_pct;
    if (cpu0 && cpu1 && secs > 0) cpu_pct = (*cpu1 - *cpu0) / secs * 100;
    char line[400];
    std::snprintf(
        line, sizeof line, "| %s | %.0f | %.0f | %.0f | %.2f ms | %.2f ms | %.4f | %s | %s |\n",
        text_of(a.search, value).c_str(), rate(r.stats, "offered_messages", secs),
        secs > 0 ? static_cast<double>(fan.count()) / secs : 0,
        rate(r.stats, "messages_received", secs), static_cast<double>(fan.quantile(0.5)) / 1e3,
        static_cast<double>(fan.quantile(0.99)) / 1e3, errors,
        cpu_pct ? (std::to_string(static_cast<int>(std::lround(*cpu_pct))) + "%").c_str() : "-",
        interrupted ? "interrupted"
        : passed    ? "held"
                    : "failed");
    std::fputs(line, stdout);
    std::fflush(stdout);
    json::object row{{"value", value},
                     {"passed", passed},
                     {"elapsedSeconds", secs},
                     {"offeredMessagesPerSecond", rate(r.stats, "offered_messages", secs)},
                     {"deliveriesPerSecond", secs > 0 ? fan.count() / secs : 0.0},
                     {"fanoutP50Seconds", static_cast<double>(fan.quantile(0.5)) / 1e6},
                     {"fanoutP99Seconds", static_cast<double>(fan.quantile(0.99)) / 1e6},
                     {"errorRate", errors}};
    if (cpu_pct) row["serverCpuPercent"] = *cpu_pct;
    row["errors"] = r.stats.to_json().at("errors");
    if (!r.stats.errors.empty()) {  // what failed, where an operator looks first
      std::string codes;
      for (const auto& [code, count] : r.stats.errors)
        codes += (codes.empty() ? "" : ", ") + code + " " + std::to_string(count);
      std::cerr << "roomctl loadtest: step " << text_of(a.search, value) << " errors: " << codes
                << "\n";
    }
    steps.push_back({value, passed, std::move(row)});
    if (interrupted) break;
    if (passed)
      good = value;
    else
      bad = value;
    // Next: double until a step fails (halve until one holds), then bisect the gap.
    double next;
    if (!bad)
      next = value * 2;
    else if (!good)
      next = value / 2;
    else
      next = (*good + *bad) / 2;
    if (integer_parameter(a.search)) next = std::floor(next);
    bool narrow =
        good && bad && (integer_parameter(a.search) ? *bad - *good <= 1 : *bad / *good < 1.1);
    if (narrow || next < (integer_parameter(a.search) ? 1 : 0.1) || next == value) break;
    value = next;
  }

  std::string slo_text;
  for (const auto& t : slos)
    slo_text += (slo_text.empty() ? "" : ", ") + t.metric + "." + t.stat + t.text;
  if (good)
    std::printf("\ncapacity: %s=%s (the largest value whose SLOs held: %s)\n", a.search.c_str(),
                text_of(a.search, *good).c_str(), slo_text.c_str());
  else
    std::printf("\ncapacity: no step held its SLOs (%s)\n", slo_text.c_str());
  if (report) {
    json::array rows;
    for (auto& s : steps) rows.push_back(std::move(s.row));
    run["search"] = json::object{{"parameter", a.search},
                                 {"slos", slo_text},
                                 {"steps", std::move(rows)},
                                 {"capacity", good ? json::value(*good) : json::value(nullptr)}};
    run["interrupted"] = interrupted;
    *report << json::serialize(run) << "\n";
    report->flush();
  }
  if (interrupted) return exit_code::interrupted;
  return good ? exit_code::ok : exit_code::thresholds_failed;
}

}  // namespace roomctl::loadgen
