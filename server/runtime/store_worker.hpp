// The thread that talks to the state store for everything but room snapshots (Persistence has its
// own writer): direct-message pushes, reads and acks, DM expiry, and a health probe once a second.
// Event loops only post jobs here and never wait, so a slow or hung store (a stopped Redis) costs
// the players nothing but the store's own features. The job queue is bounded: when the store does
// not keep up, post() refuses and the caller answers "store_unavailable" instead of queueing
// without limit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "server/util/clock.hpp"

namespace roomctl::store {
class StateStore;
}
namespace roomctl::metrics {
struct ServerMetrics;
}

namespace roomctl::runtime {

class StoreWorker {
 public:
  using Job = std::function<void(store::StateStore&)>;
  StoreWorker(store::StateStore& store, metrics::ServerMetrics& metrics, std::size_t max_jobs,
              Millis stall_after_ms = 2000);
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Runs `job` on the store thread, in order with every other job. False when the queue is full.
  // A job's exceptions are caught and counted; a job that must report failure catches its own.
  bool post(Job job);
  // Why the store cannot serve ("" when it can): the last probe's answer, or that a call has been
  // running for longer than `stall_after_ms` (the probe itself cannot run then). Never blocks.
  std::string health_problem() const;
  // The store's generation as of the last probe (StateStore::generation()).
  std::uint64_t generation() const { return generation_.load(); }
  // Waits until every job posted so far has run, or `timeout` passed. For shutdown and tests.
  bool drain(std::chrono::milliseconds timeout);

 private:
  void run();
  void probe();

  store::StateStore& store_;
  metrics::ServerMetrics& metrics_;
  const std::size_t max_jobs_;
  const Millis stall_after_ms_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Job> jobs_;
  bool running_job_ = false;
  bool stop_ = false;
  std::atomic<Millis> busy_since_{0};  // mono ms when the running call started; 0 = idle
  std::string problem_;                // under mutex_
  std::atomic<std::uint64_t> generation_{0};
  Millis next_probe_ = 0;
  std::uint64_t unreplicated_seen_ = 0;  // store_.unreplicated_pushes() already counted
  std::thread thread_;
};

}  // namespace roomctl::runtime
