// Write-behind persistence of room snapshots and stroke streams. Rooms hand over a serialised
// snapshot, with the changes of their stroke stream taken at the same moment, at most once per
// store.flush_interval (store.stroke_flush_interval when only the drawing changed; coalesced on
// the room's thread). This writer keeps the latest snapshot per room and composes its stroke
// changes (appends, and the truncations of UNDO, CLEAR and a new turn) in order, then writes
// everything pending in one batch (one SQLite transaction, one Redis MULTI/EXEC) on its own
// thread, so no I/O thread ever waits for the disk and a room's snapshot and its stroke rows land
// together. A failed batch is kept and retried with backoff (composed with anything newer);
// nothing is dropped silently.
#pragma once

#include <atomic>
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

  // `strokes`: what changed in the room's stroke stream since its previous save.
  void save(store::StoredRoom room, StreamChanges strokes = {});
  void erase(const std::string& room_id);
  // Waits until everything queued so far is written; false if `timeout` passed first.
  bool drain(std::chrono::milliseconds timeout);
  bool healthy() const { return healthy_.load(); }

  // What is waiting to be written for one room.
  struct Pending {
    std::optional<store::StoredRoom> put;  // the latest snapshot
    bool erase = false;                    // the room is gone: drop its snapshot and stream
    StreamChanges strokes;                 // every change since the last write, composed
    // `newer` after this, as one write.
    void then(Pending newer);
  };

 private:
  void run();

  store::StateStore& store_;
  metrics::ServerMetrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_, drained_;
  std::map<std::string, Pending> pending_;
  bool writing_ = false;
  bool stop_ = false;
  std::atomic<bool> healthy_{true};
  std::thread thread_;
};

}  // namespace roomctl::runtime
