// Load test coordinator and worker entry.
#include "loadgen/loadtest_command.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>

#include "loadgen/bot_connection.hpp"
#include "loadgen/loadtest_options.hpp"
#include "loadgen/metrics_server.hpp"
#include "loadgen/report.hpp"
#include "loadgen/runner.hpp"
#include "server/config/profile.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::loadgen {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

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
                        {"connections", p.connections}}},
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

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::string partial;
  Stats stats;
  json::object progress;
  bool final = false;
};

pid_t spawn(const LoadtestArgs& a, int index, int& read_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<std::string> args{"/proc/self/exe", "loadtest"};
    if (!a.profile.empty()) args.insert(args.end(), {"--profile", a.profile});
    for (const auto& s : a.sets) args.insert(args.end(), {"--set", s});
    args.insert(args.end(), {"--worker", std::to_string(index) + "/" + std::to_string(a.workers),
                             "--run-id", a.run_id});
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fds[1]);
  read_fd = fds[0];
  return pid;
}

std::string progress_line(const Stats& s, const std::vector<Worker>& ws, double elapsed,
                          double rate_window_s, std::uint64_t sent_delta,
                          std::uint64_t recv_delta) {
  std::int64_t rooms = 0, conns = 0;
  std::string phase = "starting";
  for (const auto& w : ws) {
    if (w.progress.empty()) continue;
    rooms += w.progress.at("rooms").as_int64();
    conns += w.progress.at("connections").as_int64();
    phase = std::string(w.progress.at("phase").as_string());
  }
  double p99 = 0;
  if (auto h = s.histograms.find("fanout_latency"); h != s.histograms.end())
    p99 = h->second.quantile(0.99) / 1e3;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "[%5.0fs %-9s] rooms %lld conns %lld | out %.0f/s in %.0f/s | fanout p99 %.1fms | "
                "games %llu | errors %llu | violations %llu",
                elapsed, phase.c_str(), static_cast<long long>(rooms),
                static_cast<long long>(conns), rate_window_s > 0 ? sent_delta / rate_window_s : 0.0,
                rate_window_s > 0 ? recv_delta / rate_window_s : 0.0, p99,
                static_cast<unsigned long long>(s.counter("games_completed")),
                static_cast<unsigned long long>(s.counter("errors")),
                static_cast<unsigned long long>(s.counter("invariant_violations")));
  return buf;
}
}  // namespace

int loadtest(const LoadtestArgs& a, char** envp) {
  LoadtestOptions o;
  try {
    auto settings = config::load_profile(loadtest_schema(), a.profile, a.sets, envp);
    o = loadtest_options(settings);
    for (const auto& t : o.targets) parse_target(t);
  } catch (const std::exception& e) {
    std::cerr << "roomctl loadtest: " << e.what() << "\n";
    return exit_code::usage;
  }
  if (!a.worker.empty()) return run_worker(o, a);
  if (a.workers < 1 || a.workers > 64) {
    std::cerr << "roomctl loadtest: --workers must be 1..64\n";
    return exit_code::usage;
  }

  LoadtestArgs child = a;
  child.run_id =
      "lt" + std::to_string(getpid()) + "x" +
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 100000);
  std::vector<Worker> workers(static_cast<std::size_t>(a.workers));
  for (int i = 0; i < a.workers; ++i) {
    auto& w = workers[static_cast<std::size_t>(i)];
    w.pid = spawn(child, i, w.fd);
    if (w.pid < 0) {
      std::cerr << "roomctl loadtest: cannot start worker " << i << "\n";
      return exit_code::failure;
    }
  }

  std::mutex merged_mutex;
  Stats merged;
  std::unique_ptr<MetricsServer> metrics;
  if (!o.metrics_listen.empty()) {
    try {
      metrics = std::make_unique<MetricsServer>(o.metrics_listen, [&] {
        std::lock_guard lock(merged_mutex);
        return merged.prometheus();
      });
      std::cerr << "loadtest metrics on http://" << metrics->address() << "/metrics\n";
    } catch (const std::exception& e) {
      std::cerr << "roomctl loadtest: " << e.what() << "\n";
      return exit_code::usage;
    }
  }

  bool tty = isatty(STDERR_FILENO);
  auto t0 = Clock::now();
  auto last_print = t0;
  std::uint64_t last_sent = 0, last_recv = 0;
  int open = a.workers;
  while (open > 0) {
    std::vector<pollfd> fds;
    for (auto& w : workers)
      if (w.fd >= 0) fds.push_back({w.fd, POLLIN, 0});
    poll(fds.data(), fds.size(), 200);
    for (auto& w : workers) {
      if (w.fd < 0) continue;
      char buf[65536];
      pollfd p{w.fd, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) continue;
      ssize_t n = read(w.fd, buf, sizeof buf);
      if (n <= 0) {
        close(w.fd);
        w.fd = -1;
        --open;
        continue;
      }
      w.partial.append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = w.partial.find('\n')) != std::string::npos;) {
        std::string line = w.partial.substr(0, nl);
        w.partial.erase(0, nl + 1);
        boost::system::error_code ec;
        auto v = json::parse(line, ec);
        if (ec || !v.is_object()) continue;
        w.stats = Stats::from_json(v.at("stats").as_object());
        w.progress = v.at("progress").as_object();
        w.final = v.at("final").as_bool();
      }
    }
    Stats now_merged;
    for (const auto& w : workers) now_merged.merge(w.stats);
    {
      std::lock_guard lock(merged_mutex);
      merged = now_merged;
    }
    auto now = Clock::now();
    double window = std::chrono::duration<double>(now - last_print).count();
    bool due = tty ? window >= 1.0 : window * 1000 >= static_cast<double>(o.progress_interval_ms);
    if (due) {
      std::string line =
          progress_line(now_merged, workers, std::chrono::duration<double>(now - t0).count(),
                        window, now_merged.counter("messages_sent") - last_sent,
                        now_merged.counter("messages_received") - last_recv);
      if (tty)
        std::cerr << "\r" << line << "\033[K" << std::flush;
      else
        std::cerr << line << "\n";
      last_sent = now_merged.counter("messages_sent");
      last_recv = now_merged.counter("messages_received");
      last_print = now;
    }
  }
  if (tty) std::cerr << "\n";

  int rc = exit_code::ok;
  for (auto& w : workers) {
    int status = 0;
    waitpid(w.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !w.final) {
      std::cerr << "roomctl loadtest: worker " << w.pid << " failed\n";
      rc = exit_code::failure;
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  auto verdicts = evaluate(merged, o.thresholds);
  std::cout << summary_table(merged, verdicts, elapsed);
  if (!a.report.empty()) {
    std::ofstream out(a.report);
    out << json::serialize(report_json(merged, verdicts, o, elapsed, a.workers)) << "\n";
    if (!out) {
      std::cerr << "roomctl loadtest: cannot write " << a.report << "\n";
      rc = exit_code::failure;
    }
  }
  if (rc != exit_code::ok) return rc;
  for (const auto& v : verdicts)
    if (!v.passed) return exit_code::thresholds_failed;
  return exit_code::ok;
}

}  // namespace roomctl::loadgen
