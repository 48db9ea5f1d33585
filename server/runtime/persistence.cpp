// Persistence writer thread.
#include "server/runtime/persistence.hpp"

#include "server/metrics/server_metrics.hpp"
#include "server/util/log.hpp"

namespace roomctl::runtime {

void Persistence::Pending::then(Pending newer) {
  if (newer.erase) {
    *this = Pending{};
    erase = true;
    return;
  }
  if (erase) {  // a new room of the same id: the erased room's stream must still go
    erase = false;
    strokes = StreamChanges{true, 0, {}};
  }
  strokes.then(std::move(newer.strokes));
  if (newer.put) put = std::move(newer.put);
}

Persistence::Persistence(store::StateStore& store, metrics::ServerMetrics& metrics)
    : store_(store), metrics_(metrics), thread_([this] { run(); }) {}

Persistence::~Persistence() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Persistence::save(store::StoredRoom room, StreamChanges strokes) {
  {
    std::lock_guard lock(mutex_);
    std::string id = room.id;
    pending_[id].then(Pending{std::move(room), false, std::move(strokes)});
    metrics_.store_queue_depth.set(static_cast<double>(pending_.size()));
  }
  wake_.notify_one();
}

void Persistence::erase(const std::string& room_id) {
  {
    std::lock_guard lock(mutex_);
    pending_[room_id].then(Pending{std::nullopt, true, {}});
    metrics_.store_queue_depth.set(static_cast<double>(pending_.size()));
  }
  wake_.notify_one();
}

bool Persistence::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return drained_.wait_for(lock, timeout, [&] { return pending_.empty() && !writing_; });
}

void Persistence::run() {
  std::chrono::milliseconds backoff(50);
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty() && stop_) return;
    auto batch_map = std::move(pending_);
    pending_.clear();
    writing_ = true;
    lock.unlock();

    store::RoomBatch batch;
    std::size_t snapshot_bytes = 0, stroke_bytes = 0;
    for (auto& [id, room] : batch_map) {
      if (room.erase) {
        batch.erase.push_back(id);
        continue;
      }
      if (room.put) {
        snapshot_bytes += room.put->snapshot.size();
        batch.put.push_back(std::move(*room.put));
      }
      if (!room.strokes.empty()) {
        for (const auto& row : room.strokes.append) stroke_bytes += row.data.size();
        batch.strokes.push_back({id, std::move(room.strokes)});
      }
    }
    auto started = std::chrono::steady_clock::now();
    bool ok = true;
    try {
      store_.write_rooms(batch);
    } catch (const std::exception& e) {
      ok = false;
      metrics_.store_failures.with({"write_rooms"}).inc();
      if (healthy_.exchange(false)) log::warn("store_write_failed", {{"error", e.what()}});
    }
    lock.lock();
    writing_ = false;
    if (ok) {
      metrics_.store_flush.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      metrics_.store_written_bytes.with({"snapshot"}).inc(static_cast<double>(snapshot_bytes));
      metrics_.store_written_bytes.with({"strokes"}).inc(static_cast<double>(stroke_bytes));
      if (!healthy_.exchange(true)) log::info("store_recovered");
      backoff = std::chrono::milliseconds(50);
    } else {
      // Put the batch back in front of whatever arrived for the same rooms meanwhile.
      metrics_.store_retries.inc();
      std::map<std::string, Pending> failed;
      for (auto& r : batch.put) {
        std::string id = r.id;
        failed[id].put = std::move(r);
      }
      for (auto& w : batch.strokes) failed[w.room_id].strokes = std::move(w.changes);
      for (auto& id : batch.erase) failed[id].erase = true;
      for (auto& [id, room] : failed) {
        auto newer = pending_.find(id);
        if (newer != pending_.end()) {
          room.then(std::move(newer->second));
          newer->second = std::move(room);
        } else {
          pending_.emplace(id, std::move(room));
        }
      }
      if (stop_) return;
      wake_.wait_for(lock, backoff, [&] { return stop_; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
    metrics_.store_queue_depth.set(static_cast<double>(pending_.size()));
    metrics_.store_up.set(healthy_.load() ? 1 : 0);
    if (pending_.empty()) drained_.notify_all();
  }
}

}  // namespace roomctl::runtime
