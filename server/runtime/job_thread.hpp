// One thread that runs posted jobs in order: the cluster's Redis calls (claims, lookups, seat
// reservations, releases) run here so that no event loop waits for Redis. Work a client asks for
// is bounded: past max_jobs queued the job is refused and the caller answers "try again" instead
// of queueing without limit. The node's own work (hand-overs, adoptions, sweeps, DM fallbacks) is
// never refused, so that clients filling the queue cannot make the node lose a room or a
// message; its callers bound it (by rooms, nodes, pending DMs). A job's exception is caught and
// counted: the thread never dies of one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

namespace roomctl::runtime {

class JobThread {
 public:
  explicit JobThread(std::size_t max_jobs) : max_jobs_(max_jobs) {}
  ~JobThread() { stop(); }
  JobThread(const JobThread&) = delete;
  JobThread& operator=(const JobThread&) = delete;

  void start() {
    thread_ = std::thread([this] { run(); });
  }
  // Runs what is queued, then joins.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Work a client asked for: false (not queued) when max_jobs are waiting.
  bool post(std::function<void()> job) { return push(std::move(job), max_jobs_); }
  // The node's own work: refused only once stop() has begun.
  bool post_internal(std::function<void()> job) {
    return push(std::move(job), std::numeric_limits<std::size_t>::max());
  }
  std::uint64_t failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  bool push(std::function<void()> job, std::size_t limit) {
    {
      std::lock_guard lock(mutex_);
      if (stop_ || jobs_.size() >= limit) return false;
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      bool failed = false;
      try {
        job();
      } catch (...) {
        failed = true;
      }
      lock.lock();
      if (failed) ++failures_;
    }
  }

  const std::size_t max_jobs_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::uint64_t failures_ = 0;
  std::thread thread_;
};

}  // namespace roomctl::runtime
