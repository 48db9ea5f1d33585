// Load test entry: the worker side, and the coordinator's checks, banner and report.
#include "loadgen/loadtest_command.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>

#include "loadgen/bot_connection.hpp"
#include "loadgen/capacity_search.hpp"
#include "loadgen/coordinator.hpp"
#include "loadgen/loadtest_options.hpp"
#include "loadgen/metrics_server.hpp"
#include "loadgen/report.hpp"
#include "loadgen/report_html.hpp"
#include "loadgen/runner.hpp"
#include "server/config/profile.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::loadgen {

namespace json = boost::json;

namespace {

int run_worker(const LoadtestOptions& o, const LoadtestArgs& a) {
  WorkerPlan plan;
  if (std::sscanf(a.worker.c_str(), "%d/%d", &plan.index, &plan.count) != 2 || plan.count < 1)
    return exit_code::usage;
  plan.run_id = a.run_id;
  Runner runner(o, plan, [](const Stats& s, const Progress& p) {
    json::object line{{"stats", s.to_json()},
                      {"progress",
                       {{"elapsed", p.elapsed_s},
                        {"phase", p.phase},
                        {"rooms", p.active_rooms},
                        {"connections", p.connections},
                        {"aborted", p.aborted},
                        {"interrupted", p.interrupted}}},
                      {"final", p.phase == "done"}};
    std::string text = json::serialize(line) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  });
  try {
    runner.run();
  } catch (const std::exception& e) {
    std::cerr << "roomctl loadtest worker " << a.worker << ": " << e.what() << "\n";
    return exit_code::failure;
  }
  return exit_code::ok;
}

std::string utc(std::chrono::system_clock::time_point t, const char* format) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string seconds_text(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", static_cast<double>(ms) / 1000);
  return buf;
}

// What is about to run, and until when at the latest.
void banner(const LoadtestOptions& o, const LoadtestArgs& a) {
  std::string targets;
  for (const auto& t : o.targets) targets += (targets.empty() ? "" : ", ") + t;
  std::string load = o.model == "closed" ? std::to_string(o.rooms) + " rooms"
                                         : std::to_string(o.arrival_rate) + " rooms/s up to " +
                                               std::to_string(o.max_rooms);
  std::string games;
  if (o.spy_weight > 0) games += "spy x" + std::to_string(o.spy_players);
  if (o.skribble_weight > 0)
    games += (games.empty() ? "" : ", ") + std::string("skribble x") +
             std::to_string(o.skribble_players);
  auto total_ms = o.ramp_up_ms + o.duration_ms + o.ramp_down_ms;
  auto end = std::chrono::system_clock::now() + std::chrono::milliseconds(total_ms);
  if (o.targets.size() > 1)
    targets += o.target_spread == "bots" ? " (each room's bots round robin over them)"
                                         : " (each room on one of them)";
  std::cerr << "roomctl loadtest: " << targets << " | " << o.model << " model, " << load << " ("
            << games << ")";
  if (o.app_users > 0) std::cerr << " + " << o.app_users << " app users";
  std::cerr << " | " << a.workers << (a.workers == 1 ? " worker" : " workers") << " | ramp-up "
            << seconds_text(o.ramp_up_ms) << ", steady " << seconds_text(o.duration_ms)
            << ", ramp-down up to " << seconds_text(o.ramp_down_ms);
  if (a.search.empty())
    std::cerr << " | ends by " << utc(end, "%H:%M:%S UTC") << " (" << seconds_text(total_ms) << ")";
  std::cerr << "\n";
}

// Per-second measurements as JSON lines (one per metric), k6's convention for --out json=FILE.
void write_points(std::ostream& out, const Stats& s) {
  std::string time = utc(std::chrono::system_clock::now(), "%Y-%m-%dT%H:%M:%SZ");
  auto point = [&](const std::string& metric, double value, const char* stat) {
    json::object data{{"time", time}, {"value", value}};
    if (stat) data["tags"] = json::object{{"stat", stat}};
    out << json::serialize(json::object{{"type", "Point"}, {"metric", metric}, {"data", data}})
        << "\n";
  };
  for (const auto& [name, n] : s.counters) point(name, static_cast<double>(n), nullptr);
  for (const auto& [name, h] : s.histograms) {
    point(name, static_cast<double>(h.count()), "count");
    if (h.count() == 0) continue;
    point(name, static_cast<double>(h.quantile(0.5)) / 1e6, "p50");
    point(name, static_cast<double>(h.quantile(0.99)) / 1e6, "p99");
    point(name, static_cast<double>(h.max()) / 1e6, "max");
  }
  out.flush();
}
}  // namespace

int loadtest(const LoadtestArgs& a, char** envp) {
  if (a.worker.empty() && a.profile.empty()) {
    std::cerr << "roomctl loadtest: a profile is required\n"
                 "usage: roomctl loadtest --profile FILE.yaml [--set key=value]... [--workers N] "
                 "[--report FILE.json] [--out json=FILE] [--search rooms|stroke_rate --slo "
                 "'fanout_latency.p99<10ms']\n"
                 "profiles: profiles/loadtest/{smoke,steady,spike,soak,fanout}.yaml; "
                 "`roomctl loadtest --help` lists every option\n";
    return exit_code::usage;
  }
  LoadtestOptions o;
  std::optional<config::Settings> settings;
  std::vector<Target> targets;
  try {
    settings.emplace(config::load_profile(loadtest_schema(), a.profile, a.sets, envp));
    o = loadtest_options(*settings);
    for (const auto& t : o.targets) targets.push_back(parse_target(t));
  } catch (const std::exception& e) {
    std::cerr << "roomctl loadtest: " << e.what() << "\n";
    return exit_code::usage;
  }
  if (!a.worker.empty()) return run_worker(o, a);
  if (a.workers < 1 || a.workers > 64) {
    std::cerr << "roomctl loadtest: --workers must be 1..64\n";
    return exit_code::usage;
  }
  std::vector<Threshold> slos;
  try {
    slos = parse_slos(a.slos);
    if (!a.search.empty()) check_search(a, o);
  } catch (const std::exception& e) {
    std::cerr << "roomctl loadtest: " << e.what() << "\n";
    return exit_code::usage;
  }

  // Outputs are opened now, not after a four-hour soak.
  std::ofstream report;
  if (!a.report.empty()) {
    report.open(a.report, std::ios::trunc);
    if (!report) {
      std::cerr << "roomctl loadtest: cannot write the report " << a.report << "\n";
      return exit_code::usage;
    }
  }
  std::vector<std::unique_ptr<std::ofstream>> points;
  for (const auto& spec : a.outs) {
    if (spec.rfind("json=", 0) != 0) {
      std::cerr << "roomctl loadtest: --out " << spec << ": expected json=FILE\n";
      return exit_code::usage;
    }
    points.push_back(std::make_unique<std::ofstream>(spec.substr(5), std::ios::trunc));
    if (!*points.back()) {
      std::cerr << "roomctl loadtest: cannot write " << spec.substr(5) << "\n";
      return exit_code::usage;
    }
  }
  for (const auto& t : targets) {
    if (auto why = probe(t, std::chrono::seconds(3)); !why.empty()) {
      std::cerr << "roomctl loadtest: cannot reach " << t.url << ": " << why << "\n";
      return exit_code::failure;
    }
  }
  install_interrupt_handlers();

  LoadtestArgs child = a;
  child.run_id =
      "lt" + std::to_string(getpid()) + "x" +
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 100000);
  std::mutex merged_mutex;
  Stats merged;
  std::unique_ptr<MetricsServer> metrics;
  if (!o.metrics_listen.empty()) {
    try {
      metrics = std::make_unique<MetricsServer>(o.metrics_listen, [&] {
        std::lock_guard lock(merged_mutex);
        return merged.prometheus(child.run_id);
      });
      std::cerr << "loadtest metrics on http://" << metrics->address() << "/metrics\n";
    } catch (const std::exception& e) {
      std::cerr << "roomctl loadtest: " << e.what() << "\n";
      return exit_code::usage;
    }
  }
  SeriesRecorder series;  // for an HTML report's charts
  OnMerged on_merged = [&](const Stats& s, double elapsed_s) {
    {
      std::lock_guard lock(merged_mutex);
      merged = s;
    }
    series.add(s, elapsed_s);
    for (auto& p : points) write_points(*p, s);
  };
  banner(o, a);
  auto started = std::chrono::system_clock::now();
  json::object run{{"startedAt", utc(started, "%Y-%m-%dT%H:%M:%SZ")},
                   {"version", ROOMCTL_VERSION},
                   {"profile", a.profile},
                   {"configuration", json::value_from(settings->flat())}};
  if (!a.search.empty() && is_html_path(a.report)) {
    std::cerr << "roomctl loadtest: --search writes a JSON report; --report FILE.html is for "
                 "single runs\n";
    return exit_code::usage;
  }
  if (!a.search.empty())
    return capacity_search(child, o, slos, on_merged, run, report.is_open() ? &report : nullptr);

  RunOutcome outcome = run_workers(child, o, {}, on_merged);
  auto verdicts = evaluate(outcome.stats, o.thresholds);
  std::cout << summary_table(outcome.stats, verdicts, outcome.elapsed_s);
  if (!outcome.aborted.empty())
    std::cerr << "roomctl loadtest: aborted: " << outcome.aborted << "\n";
  int rc = exit_code::ok;
  if (report.is_open() && is_html_path(a.report)) {
    series.add(outcome.stats, outcome.elapsed_s);  // the final snapshot, after the ramp-down
    HtmlRunInfo info{a.profile,
                     utc(started, "%Y-%m-%dT%H:%M:%SZ"),
                     utc(std::chrono::system_clock::now(), "%Y-%m-%dT%H:%M:%SZ"),
                     ROOMCTL_VERSION,
                     outcome.interrupted,
                     outcome.aborted};
    report << html_report(outcome.stats, verdicts, series.points(), outcome.elapsed_s, info);
    report.flush();
    if (!report) {
      std::cerr << "roomctl loadtest: cannot write " << a.report << "\n";
      rc = exit_code::failure;
    }
  } else if (report.is_open()) {
    auto doc = report_json(outcome.stats, verdicts, o, outcome.elapsed_s, a.workers);
    for (auto& [k, v] : run) doc[k] = v;
    doc["endedAt"] = utc(std::chrono::system_clock::now(), "%Y-%m-%dT%H:%M:%SZ");
    doc["interrupted"] = outcome.interrupted;
    doc["aborted"] = outcome.aborted;
    report << json::serialize(doc) << "\n";
    report.flush();
    if (!report) {
      std::cerr << "roomctl loadtest: cannot write " << a.report << "\n";
      rc = exit_code::failure;
    }
  }
  if (outcome.interrupted) return exit_code::interrupted;
  if (outcome.workers_failed || !outcome.aborted.empty() || rc != exit_code::ok)
    return exit_code::failure;
  for (const auto& v : verdicts)
    if (!v.passed) return exit_code::thresholds_failed;
  return exit_code::ok;
}

}  // namespace roomctl::loadgen
