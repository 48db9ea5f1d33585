// Store worker thread: a bounded FIFO of jobs plus a once-a-second health probe.
#include "server/runtime/store_worker.hpp"

#include "server/metrics/server_metrics.hpp"
#include "server/store/state_store.hpp"
#include "server/util/log.hpp"

namespace roomctl::runtime {

StoreWorker::StoreWorker(store::StateStore& store, metrics::ServerMetrics& metrics,
                         std::size_t max_jobs, Millis stall_after_ms)
    : store_(store),
      metrics_(metrics),
      max_jobs_(max_jobs),
      stall_after_ms_(stall_after_ms),
      thread_([this] { run(); }) {}

StoreWorker::~StoreWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool StoreWorker::post(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stop_ || jobs_.size() >= max_jobs_) {
      metrics_.refusals.with({"store_queue"}).inc();
      return false;
    }
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

std::string StoreWorker::health_problem() const {
  Millis since = busy_since_.load();
  if (since != 0 && mono_now_ms() - since > stall_after_ms_)
    return "state store is not answering (a call has been running for " +
           std::to_string((mono_now_ms() - since) / 1000) + " s; " + store_.describe() + ")";
  std::lock_guard lock(mutex_);
  return problem_;
}

bool StoreWorker::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [&] { return jobs_.empty() && !running_job_; });
}

void StoreWorker::probe() {
  busy_since_ = mono_now_ms();
  std::string problem = store_.health_problem();
  busy_since_ = 0;
  generation_ = store_.generation();
  if (auto n = store_.unreplicated_pushes(); n > unreplicated_seen_) {
    metrics_.dm_unreplicated.inc(static_cast<double>(n - unreplicated_seen_));
    unreplicated_seen_ = n;
  }
  std::lock_guard lock(mutex_);
  if (problem != problem_) {
    if (problem.empty())
      log::info("store_recovered", {{"store", store_.describe()}});
    else
      log::warn("store_unhealthy", {{"store", store_.describe()}, {"error", problem}});
  }
  problem_ = std::move(problem);
}

void StoreWorker::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    Millis now = mono_now_ms();
    if (now >= next_probe_) {
      lock.unlock();
      probe();
      lock.lock();
      next_probe_ = mono_now_ms() + 1000;
      continue;
    }
    wake_.wait_for(lock, std::chrono::milliseconds(next_probe_ - now),
                   [&] { return stop_ || !jobs_.empty(); });
    if (stop_ && jobs_.empty()) return;
    if (jobs_.empty()) continue;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    running_job_ = true;
    metrics_.store_jobs_queued.set(static_cast<double>(jobs_.size()));
    lock.unlock();
    busy_since_ = mono_now_ms();
    try {
      job(store_);
    } catch (const std::exception& e) {
      metrics_.store_failures.with({"job"}).inc();
      log::warn("store_job_failed", {{"error", e.what()}});
    }
    busy_since_ = 0;
    lock.lock();
    running_job_ = false;
    if (jobs_.empty()) idle_.notify_all();
  }
}

}  // namespace roomctl::runtime
