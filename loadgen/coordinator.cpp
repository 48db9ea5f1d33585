// Worker processes, their snapshot stream and interrupts.
#include "loadgen/coordinator.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "server/util/exit_codes.hpp"

namespace roomctl::loadgen {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {
volatile sig_atomic_t signals_seen = 0;
// The running workers, for the signal handler (a plain array: async-signal-safe to read).
constexpr int kMaxWorkers = 64;
volatile pid_t worker_pids[kMaxWorkers];
volatile sig_atomic_t worker_count = 0;

void on_signal(int) {
  if (++signals_seen >= 2) {  // the second signal: stop now, whatever is lost
    for (int i = 0; i < worker_count; ++i)
      if (worker_pids[i] > 0) kill(worker_pids[i], SIGKILL);
    _exit(exit_code::interrupted);
  }
}

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::string partial;
  Stats stats;
  json::object progress;
  bool final = false;
};

pid_t spawn(const LoadtestArgs& a, const std::vector<std::string>& extra_sets, int index,
            int& read_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  // Ctrl-C goes to the coordinator's group only; it forwards one SIGTERM
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<std::string> args{"/proc/self/exe", "loadtest"};
    if (!a.profile.empty()) args.insert(args.end(), {"--profile", a.profile});
    for (const auto& s : a.sets) args.insert(args.end(), {"--set", s});
    for (const auto& s : extra_sets) args.insert(args.end(), {"--set", s});
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
    p99 = static_cast<double>(h->second.quantile(0.99)) / 1e3;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "[%5.0fs %-9s] rooms %lld conns %lld | out %.0f/s in %.0f/s | fanout p99 %.1fms | "
                "games %llu | errors %llu | violations %llu",
                elapsed, phase.c_str(), static_cast<long long>(rooms),
                static_cast<long long>(conns),
                rate_window_s > 0 ? static_cast<double>(sent_delta) / rate_window_s : 0.0,
                rate_window_s > 0 ? static_cast<double>(recv_delta) / rate_window_s : 0.0, p99,
                static_cast<unsigned long long>(s.counter("games_completed")),
                static_cast<unsigned long long>(s.counter("errors")),
                static_cast<unsigned long long>(s.counter("invariant_violations")));
  return buf;
}

// Reads what a worker wrote; false at its end of stream.
bool read_worker(Worker& w) {
  char buf[65536];
  ssize_t n = read(w.fd, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false;
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
  return true;
}
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() {
  return signals_seen > 0;
}

RunOutcome run_workers(const LoadtestArgs& a, const LoadtestOptions& o,
                       const std::vector<std::string>& extra_sets, const OnMerged& on_merged) {
  RunOutcome outcome;
  std::vector<Worker> workers(static_cast<std::size_t>(a.workers));
  worker_count = 0;
  for (int i = 0; i < a.workers; ++i) {
    auto& w = workers[static_cast<std::size_t>(i)];
    w.pid = spawn(a, extra_sets, i, w.fd);
    if (w.pid < 0) {
      std::cerr << "roomctl loadtest: cannot start worker " << i << "\n";
      outcome.workers_failed = true;
      break;
    }
    worker_pids[i] = w.pid;
    worker_count = i + 1;
  }

  bool tty = isatty(STDERR_FILENO);
  auto t0 = Clock::now();
  auto last_print = t0, last_merge = t0;
  std::uint64_t last_sent = 0, last_recv = 0;
  bool forwarded = false;
  int open = worker_count;
  while (open > 0) {
    if (interrupt_requested() && !forwarded) {
      forwarded = true;
      outcome.interrupted = true;
      for (const auto& w : workers)
        if (w.pid > 0) kill(w.pid, SIGTERM);
      std::cerr << (tty ? "\n" : "") << "roomctl loadtest: interrupted; stopping the bots "
                << "(again to quit at once)\n";
    }
    std::vector<pollfd> fds;
    for (auto& w : workers)
      if (w.fd >= 0) fds.push_back({w.fd, POLLIN, 0});
    poll(fds.data(), fds.size(), 200);
    for (auto& w : workers) {
      if (w.fd < 0) continue;
      pollfd p{w.fd, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) continue;
      if (!read_worker(w)) {
        close(w.fd);
        w.fd = -1;
        --open;
      }
    }
    auto now = Clock::now();
    if (now - last_merge < std::chrono::milliseconds(900) && open > 0) continue;
    last_merge = now;
    Stats merged;
    for (const auto& w : workers) merged.merge(w.stats);
    double elapsed = std::chrono::duration<double>(now - t0).count();
    on_merged(merged, elapsed);
    double window = std::chrono::duration<double>(now - last_print).count();
    bool due = tty ? window >= 1.0 : window * 1000 >= static_cast<double>(o.progress_interval_ms);
    if (due) {
      std::string line = progress_line(merged, workers, elapsed, window,
                                       merged.counter("messages_sent") - last_sent,
                                       merged.counter("messages_received") - last_recv);
      if (tty)
        std::cerr << "\r" << line << "\033[K" << std::flush;
      else
        std::cerr << line << "\n";
      last_sent = merged.counter("messages_sent");
      last_recv = merged.counter("messages_received");
      last_print = now;
    }
  }
  if (tty) std::cerr << "\n";

  for (auto& w : workers) {
    if (w.pid < 0) continue;
    int status = 0;
    while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !w.final) {
      std::cerr << "roomctl loadtest: worker " << w.pid << " failed\n";
      outcome.workers_failed = true;
    }
    if (auto* why = w.progress.if_contains("aborted"); why && why->is_string())
      outcome.aborted = std::string(why->as_string());
    outcome.stats.merge(w.stats);
  }
  worker_count = 0;
  outcome.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  on_merged(outcome.stats, outcome.elapsed_s);
  return outcome;
}

}  // namespace roomctl::loadgen
