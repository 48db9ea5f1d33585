// Persistence writer thread.
#include "server/runtime/persistence.hpp"

#include "server/metrics/server_metrics.hpp"
#include "server/util/log.hpp"

namespace roomctl::runtime {

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

void Persistence::save(store::StoredRoom room) {
  {
    std::lock_guard lock(mutex_);
    std::string id = room.id;
    pending_[id] = std::move(room);
    metrics_.store_queue_depth.set(static_cast<double>(pending_.size()));
  }
  wake_.notify_one();
}

void Persistence::erase(const std::string& room_id) {
  {
    std::lock_guard lock(mutex_);
    pending_[room_id] = std::nullopt;
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
    for (auto& [id, room] : batch_map) {
      if (room)
        batch.put.push_back(std::move(*room));
      else
        batch.erase.push_back(id);
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
      if (!healthy_.exchange(true)) log::info("store_recovered");
      backoff = std::chrono::milliseconds(50);
    } else {
      // Put the batch back unless a newer write for the same room arrived meanwhile.
      metrics_.store_retries.inc();
      for (auto& r : batch.put) pending_.try_emplace(r.id, std::move(r));
      for (auto& id : batch.erase) pending_.try_emplace(id, std::nullopt);
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
