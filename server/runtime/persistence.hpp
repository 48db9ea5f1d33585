// Write-behind persistence of room snapshots. Rooms hand over a serialised snapshot at most once
// per store.flush_interval (coalesced on the room's thread); this writer keeps only the latest
// snapshot per room and writes everything pending in one batch (one SQLite transaction, one Redis
// pipeline) on its own thread, so no I/O thread ever waits for the disk. A failed batch is kept
// and retried with backoff (newer snapshots replace it); nothing is dropped silently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/store/state_store.hpp"

namespace roomctl::metrics {
struct ServerMetrics;
}

namespace roomctl::runtime {

class Persistence {
 public:
  Persistence(store::StateStore& store, metrics::ServerMetrics& metrics);
  ~Persistence();

  void save(store::StoredRoom room);
  void erase(const std::string& room_id);
  // Waits until everything queued so far is written; false if `timeout` passed first.
  bool drain(std::chrono::milliseconds timeout);
  bool healthy() const { return healthy_.load(); }

 private:
  void run();

  store::StateStore& store_;
  metrics::ServerMetrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_, drained_;
  std::map<std::string, std::optional<store::StoredRoom>> pending_;  // nullopt = erase
  bool writing_ = false;
  bool stop_ = false;
  std::atomic<bool> healthy_{true};
  std::thread thread_;
};

}  // namespace roomctl::runtime
