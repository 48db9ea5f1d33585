// Worker: arrival models, room lifecycle, faults, snapshots.
#include "loadgen/runner.hpp"

#include <sys/resource.h>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <random>

#include "loadgen/app_driver.hpp"
#include "loadgen/skribble_room_driver.hpp"
#include "loadgen/spy_room_driver.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::loadgen {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

class Runner::Impl {
 public:
  Impl(const LoadtestOptions& o, WorkerPlan plan, Snapshot snap)
      : o_(o),
        plan_(std::move(plan)),
        snap_(std::move(snap)),
        rng_(o.seed * 7919 + static_cast<std::uint64_t>(plan_.index)),
        ticker_(ioc_),
        arrivals_(ioc_),
        signals_(ioc_, SIGINT, SIGTERM) {
    for (const auto& t : o.targets) targets_.push_back(parse_target(t));
  }

  Stats run() {
    t0_ = Clock::now();
    steady_end_ = t0_ + std::chrono::milliseconds(o_.ramp_up_ms + o_.duration_ms);
    hard_end_ = steady_end_ + std::chrono::milliseconds(o_.ramp_down_ms);
    if (o_.app_users > 0) {
      int mine = share(o_.app_users);
      if (mine > 0) {
        app_ = std::make_shared<AppDriver>(env(0), plan_.run_id + "w" + std::to_string(plan_.index),
                                           mine, rng_());
        app_->start();
      }
    }
    schedule_arrival();
    tick();
    await_signal();
    ioc_.run();
    Progress p = progress();
    p.phase = "done";
    p.aborted = aborted_;
    p.interrupted = interrupted_;
    snapshot(p);
    return stats_;
  }

 private:
  int share(int total) const {
    return total / plan_.count + (plan_.index < total % plan_.count ? 1 : 0);
  }

  DriverEnv env(std::size_t room_no) {
    return DriverEnv{ioc_, stats_, o_, targets_, room_no, [this] { return next_source_ip(); }};
  }

  std::string next_source_ip() {
    if (o_.source_addresses <= 0) return "";
    return "127.0.0." +
           std::to_string(2 + (source_cursor_++ % static_cast<unsigned>(o_.source_addresses)));
  }

  // Ships the measurements with this worker's own CPU time: the cost per received frame is how the
  // load generator's capacity is measured even when the server is the slower side.
  void snapshot(const Progress& p) {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto us = [](const timeval& t) {
      return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000 +
             static_cast<std::uint64_t>(t.tv_usec);
    };
    stats_.counters["worker_cpu_us"] = us(u.ru_utime) + us(u.ru_stime);
    snap_(stats_, p);
  }

  bool in_steady() const { return Clock::now() < steady_end_ && !stopping_early(); }
  bool stopping_early() const { return interrupted_ || !aborted_.empty(); }

  // The first SIGINT/SIGTERM ends the run early but in order (rooms finish, the final snapshot
  // goes out); a second one ends the process.
  void await_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      if (interrupted_) _exit(exit_code::interrupted);
      interrupted_ = true;
      force_stop();
      await_signal();
    });
  }

  // A target that is gone: give up after options.abort_after without one live connection.
  void check_liveness(std::size_t connections) {
    auto now = Clock::now();
    // Only while connections are expected: an open model with rare arrivals may hold none.
    bool expecting = !rooms_.empty() || restarts_pending_ > 0 || app_ || failed_since_live_;
    if (connections > 0) failed_since_live_ = false;
    if (connections > 0 || !expecting || last_live_ == Clock::time_point{}) last_live_ = now;
    if (o_.abort_after_ms <= 0 || !aborted_.empty()) return;
    if (now - last_live_ >= std::chrono::milliseconds(o_.abort_after_ms)) {
      aborted_ = "no live connection for " + std::to_string(o_.abort_after_ms / 1000) + "s";
      force_stop();
    }
  }

  // Exponential backoff with jitter for rooms whose players could not connect: a dead target
  // gets a few attempts per second, not tens of thousands.
  std::chrono::milliseconds restart_delay(bool connect_failed) {
    if (!connect_failed) {
      failures_ = 0;
      return std::chrono::milliseconds(0);
    }
    failures_ = std::min(failures_ + 1, 16);
    double base = std::min(5000.0, 50.0 * static_cast<double>(1 << std::min(failures_, 7)));
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(base * std::uniform_real_distribution<double>(0.5, 1.5)(rng_)));
  }

  void start_room() {
    std::size_t n = room_counter_++;
    std::string id = plan_.run_id + "w" + std::to_string(plan_.index) + "r" + std::to_string(n);
    double total = o_.spy_weight + o_.skribble_weight;
    bool spy = std::uniform_real_distribution<double>(0, total)(rng_) < o_.spy_weight;
    std::shared_ptr<RoomDriver> room;
    if (spy) {
      std::string mode = o_.spy_mode;
      if (mode == "mixed") mode = rng_() % 2 ? "word_spy" : "wordless_spy";
      room = std::make_shared<SpyRoomDriver>(env(n), id, id + "u", o_.spy_players, rng_(), mode);
    } else {
      room =
          std::make_shared<SkribbleRoomDriver>(env(n), id, id + "u", o_.skribble_players, rng_());
    }
    rooms_[n] = room;
    room->on_finished = [this, n] {
      // Erase later: we are inside the room's own callback.
      asio::post(ioc_, [this, n] {
        auto it = rooms_.find(n);
        bool failed = it != rooms_.end() && it->second->connect_failed();
        failed_since_live_ = failed_since_live_ || failed;
        rooms_.erase(n);
        auto delay = restart_delay(failed);
        if (o_.model == "closed" && in_steady()) {  // keep the population
          if (delay.count() == 0) {
            start_room();
          } else {
            ++restarts_pending_;
            auto t = std::make_shared<asio::steady_timer>(ioc_, delay);
            t->async_wait([this, t](boost::system::error_code) {
              --restarts_pending_;
              if (in_steady()) start_room();
              maybe_stop();
            });
          }
        }
        maybe_stop();
      });
    };
    room->start();
  }

  Clock::time_point ramp_end() const { return t0_ + std::chrono::milliseconds(o_.ramp_up_ms); }

  // Closed model: the population grows evenly over the ramp-up. Open model: Poisson arrivals whose
  // rate grows linearly over the ramp-up.
  void schedule_arrival() {
    if (!in_steady()) return;
    double delay_s;
    if (o_.model == "closed") {
      int target = share(o_.rooms);
      if (started_ >= target) return;
      delay_s = target > 0 ? static_cast<double>(o_.ramp_up_ms) / 1000.0 / target : 0;
      if (started_ == 0) delay_s = 0;
    } else {
      double rate = o_.arrival_rate / plan_.count;
      double elapsed = std::chrono::duration<double>(Clock::now() - t0_).count();
      if (o_.ramp_up_ms > 0 && elapsed < o_.ramp_up_ms / 1000.0)
        rate *= std::max(0.05, elapsed / (o_.ramp_up_ms / 1000.0));
      delay_s = std::exponential_distribution<double>(rate)(rng_);
    }
    arrivals_.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(delay_s * 1e6)));
    arrivals_.async_wait([this](boost::system::error_code ec) {
      if (ec || !in_steady()) return;
      if (o_.model == "closed" || static_cast<int>(rooms_.size()) < share(o_.max_rooms)) {
        ++started_;
        start_room();
      } else {
        stats_.inc("arrivals_dropped");
      }
      schedule_arrival();
    });
  }

  Progress progress() const {
    Progress p;
    p.elapsed_s = std::chrono::duration<double>(Clock::now() - t0_).count();
    auto now = Clock::now();
    p.phase = now < ramp_end() ? "ramp-up" : now < steady_end_ ? "steady" : "ramp-down";
    p.active_rooms = static_cast<int>(rooms_.size());
    for (const auto& [n, r] : rooms_) p.connections += r->connections();
    if (app_) p.connections += app_->connections();
    return p;
  }

  void tick() {
    ticker_.expires_after(std::chrono::seconds(1));
    ticker_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0_).count();
      if (o_.storm_at_ms > 0 && !stormed_ && elapsed >= o_.storm_at_ms) {
        stormed_ = true;
        for (auto& [n, r] : rooms_) r->storm(o_.storm_fraction);
      }
      if (o_.slow_reader_fraction > 0 && !slowed_ &&
          elapsed >= o_.ramp_up_ms + o_.duration_ms / 2) {
        slowed_ = true;
        for (auto& [n, r] : rooms_)
          r->slow_readers(o_.slow_reader_fraction, o_.slow_reader_pause_ms);
      }
      auto p = progress();
      check_liveness(p.connections);
      snapshot(p);
      if (Clock::now() >= hard_end_)
        force_stop();
      else
        maybe_stop();
      if (!stopped_) tick();
    });
  }

  void maybe_stop() {
    if (stopped_ || in_steady() || !rooms_.empty() || restarts_pending_ > 0) return;
    stop_app();
  }

  // Past the ramp-down: whatever still runs is told to finish; then the app bots.
  void force_stop() {
    if (stopped_) return;
    for (auto& [n, r] : rooms_) {
      stats_.inc("rooms_unfinished");
      r->on_finished = nullptr;
      r->finish();
    }
    rooms_.clear();
    stop_app();
  }

  void stop_app() {
    if (stopped_) return;
    stopped_ = true;
    arrivals_.cancel();
    auto ended = std::make_shared<bool>(false);
    auto end = [this, ended] {
      if (*ended) return;
      *ended = true;
      ticker_.cancel();
      signals_.cancel();
      // Let close handshakes complete, bounded.
      auto t = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(500));
      t->async_wait([this, t](boost::system::error_code) { ioc_.stop(); });
    };
    // Whatever the app bots wait for (a server that is gone), the worker ends in bounded time.
    auto bound = std::make_shared<asio::steady_timer>(
        ioc_, std::chrono::milliseconds(o_.connect_timeout_ms + 3000));
    bound->async_wait([bound, end](boost::system::error_code ec) {
      if (!ec) end();
    });
    if (app_)
      app_->finish([end, bound] {
        bound->cancel();
        end();
      });
    else
      end();
  }

  const LoadtestOptions& o_;
  WorkerPlan plan_;
  Snapshot snap_;
  asio::io_context ioc_;
  std::mt19937_64 rng_;
  asio::steady_timer ticker_, arrivals_;
  std::vector<Target> targets_;
  Stats stats_;
  std::map<std::size_t, std::shared_ptr<RoomDriver>> rooms_;
  std::shared_ptr<AppDriver> app_;
  Clock::time_point t0_, steady_end_, hard_end_;
  std::size_t room_counter_ = 0;
  int started_ = 0;
  unsigned source_cursor_ = 0;
  asio::signal_set signals_;
  Clock::time_point last_live_{};
  std::string aborted_;
  int failures_ = 0, restarts_pending_ = 0;
  bool failed_since_live_ = false;
  bool stormed_ = false, slowed_ = false, stopped_ = false, interrupted_ = false;
};

Runner::Runner(const LoadtestOptions& options, WorkerPlan plan, Snapshot on_snapshot)
    : options_(options), plan_(std::move(plan)), on_snapshot_(std::move(on_snapshot)) {}

Stats Runner::run() {
  Impl impl(options_, plan_, on_snapshot_);
  return impl.run();
}

}  // namespace roomctl::loadgen
