// Thresholds and reporting.
#include "loadgen/report.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <sstream>

namespace roomctl::loadgen {

namespace json = boost::json;

namespace {
const char* kStats[] = {"p50", "p90", "p99", "p999", "max"};

double quantile_s(const Histogram& h, const std::string& stat) {
  if (stat == "p50") return h.quantile(0.50) / 1e6;
  if (stat == "p90") return h.quantile(0.90) / 1e6;
  if (stat == "p99") return h.quantile(0.99) / 1e6;
  if (stat == "p999") return h.quantile(0.999) / 1e6;
  if (stat == "max") return static_cast<double>(h.max()) / 1e6;
  if (stat == "mean") return h.mean() / 1e6;
  return -1;
}

std::string ms(double seconds) {
  char buf[32];
  if (seconds < 0.01)
    std::snprintf(buf, sizeof buf, "%.2fms", seconds * 1e3);
  else if (seconds < 10)
    std::snprintf(buf, sizeof buf, "%.1fms", seconds * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

bool is_latency(const std::string& metric) {
  return metric.find("latency") != std::string::npos || metric.find("rtt") != std::string::npos;
}

std::string show(const Verdict& v) {
  if (!v.known) return "no data";
  if (is_latency(v.threshold.metric) && v.threshold.stat != "count" &&
      v.threshold.stat != "negative")
    return ms(v.value);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v.value);
  return buf;
}
}  // namespace

bool metric_value(const Stats& s, const std::string& metric, const std::string& stat, double& out) {
  if (auto h = s.histograms.find(metric); h != s.histograms.end()) {
    if (stat == "count") {
      out = static_cast<double>(h->second.count());
      return true;
    }
    if (stat == "negative") {
      out = static_cast<double>(h->second.negative());
      return true;
    }
    if (h->second.count() == 0) return false;
    out = quantile_s(h->second, stat);
    return out >= 0;
  }
  if (metric == "errors" && stat == "rate") {  // per attempt (a message or a connect): 0..1
    double attempts =
        static_cast<double>(s.counter("messages_sent") + s.counter("connect_attempts"));
    out = std::min(1.0, static_cast<double>(s.counter("errors")) / std::max(1.0, attempts));
    return true;
  }
  if (metric == "games" && stat == "completed") {
    out = static_cast<double>(s.counter("games_completed"));
    return true;
  }
  if (stat == "count") {
    out = static_cast<double>(s.counter(metric));
    return true;
  }
  return false;
}

std::vector<Verdict> evaluate(const Stats& stats, const std::vector<Threshold>& thresholds) {
  std::vector<Verdict> out;
  for (const auto& t : thresholds) {
    Verdict v{t};
    v.known = metric_value(stats, t.metric, t.stat, v.value);
    if (v.known) {
      if (t.op == "<")
        v.passed = v.value < t.bound;
      else if (t.op == "<=")
        v.passed = v.value <= t.bound;
      else if (t.op == ">")
        v.passed = v.value > t.bound;
      else
        v.passed = v.value >= t.bound;
    }
    out.push_back(v);
  }
  return out;
}

// Worker CPU per received frame, and what one core could receive at that cost.
static std::string cpu_line(const Stats& s) {
  double cpu_s = static_cast<double>(s.counter("worker_cpu_us")) / 1e6;
  double frames = static_cast<double>(s.counter("messages_received"));
  char line[200];
  std::snprintf(line, sizeof line,
                "load generator CPU %.2f s: %.2f s per million received frames (%.2f us each, "
                "%.0f frames/s per core)",
                cpu_s, cpu_s / frames * 1e6, cpu_s / frames * 1e6,
                cpu_s > 0 ? frames / cpu_s : 0.0);
  return line;
}

std::string summary_table(const Stats& s, const std::vector<Verdict>& verdicts, double elapsed_s) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "%-20s %9s %9s %9s %9s %9s %9s\n", "latency", "count", "p50",
                "p90", "p99", "p99.9", "max");
  out << line;
  for (const auto& [name, h] : s.histograms) {
    std::snprintf(line, sizeof line, "%-20s %9llu %9s %9s %9s %9s %9s\n", name.c_str(),
                  static_cast<unsigned long long>(h.count()), ms(h.quantile(0.5) / 1e6).c_str(),
                  ms(h.quantile(0.9) / 1e6).c_str(), ms(h.quantile(0.99) / 1e6).c_str(),
                  ms(h.quantile(0.999) / 1e6).c_str(),
                  ms(static_cast<double>(h.max()) / 1e6).c_str());
    out << line;
  }
  out << "\n";
  for (const auto& [name, n] : s.counters) {
    std::snprintf(line, sizeof line, "%-28s %12llu  (%.1f/s)\n", name.c_str(),
                  static_cast<unsigned long long>(n),
                  elapsed_s > 0 ? static_cast<double>(n) / elapsed_s : 0.0);
    out << line;
  }
  if (auto frames = s.counter("messages_received"); frames > 0) out << cpu_line(s) << "\n";
  for (const auto& [name, h] : s.histograms)
    if (h.negative())
      out << "  NEGATIVE SAMPLES " << name << ": " << h.negative()
          << " (seen before their intended send time)\n";
  for (const auto& [code, n] : s.errors) out << "  error " << code << ": " << n << "\n";
  for (const auto& [what, n] : s.violations)
    out << "  INVARIANT VIOLATED " << what << ": " << n << "\n";
  if (!verdicts.empty()) out << "\nthresholds\n";
  for (const auto& v : verdicts)
    out << "  " << (v.passed ? "ok    " : "FAILED") << " " << v.threshold.metric << "."
        << v.threshold.stat << " " << v.threshold.text << " (got " << show(v) << ")\n";
  return out.str();
}

json::object report_json(const Stats& s, const std::vector<Verdict>& verdicts,
                         const LoadtestOptions& o, double elapsed_s, int workers) {
  json::object lat;
  for (const auto& [name, h] : s.histograms) {
    json::object e{{"count", h.count()}, {"negative", h.negative()}, {"mean", h.mean() / 1e6}};
    for (const char* st : kStats) e[st] = quantile_s(h, st);
    lat[name] = std::move(e);
  }
  json::array th;
  bool passed = true;
  for (const auto& v : verdicts) {
    passed = passed && v.passed;
    th.push_back(json::object{{"metric", v.threshold.metric},
                              {"stat", v.threshold.stat},
                              {"condition", v.threshold.text},
                              {"value", v.known ? json::value(v.value) : json::value(nullptr)},
                              {"passed", v.passed}});
  }
  auto full = s.to_json();
  double cpu_s = static_cast<double>(s.counter("worker_cpu_us")) / 1e6;
  double frames = static_cast<double>(s.counter("messages_received"));
  json::object cpu{{"workerSeconds", cpu_s},
                   {"secondsPerMillionFrames", frames > 0 ? cpu_s / frames * 1e6 : 0.0}};
  json::object report{{"targets", json::value_from(o.targets)},
                      {"cpu", std::move(cpu)},
                      {"model", o.model},
                      {"seed", o.seed},
                      {"workers", workers},
                      {"elapsedSeconds", elapsed_s},
                      {"latencySeconds", std::move(lat)},
                      {"counters", full.at("counters")},
                      {"errors", full.at("errors")},
                      {"invariantViolations", full.at("violations")},
                      {"thresholds", std::move(th)},
                      {"passed", passed}};
  // Only a run over several targets has a spread to report: one target's report stays as it was.
  if (o.targets.size() > 1) report["targetSpread"] = o.target_spread;
  return report;
}

}  // namespace roomctl::loadgen
