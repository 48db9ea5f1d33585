// In-memory StateStore (unit tests, `store.url: memory://`): nothing survives a restart.
// A room and its stroke stream are one map entry.
#pragma once

#include <map>
#include <mutex>

#include "server/store/memory_dm_store.hpp"
#include "server/store/state_store.hpp"

namespace roomctl::store {

class MemoryStore : public StateStore {
 public:
  PushResult push(const std::string& r, const std::string& p, Millis now, Millis ttl,
                  const QueueLimits& limits) override {
    return dms_.push(r, p, now, ttl, limits);
  }
  std::vector<QueuedMessage> pending(const std::string& r, Millis now,
                                     const QueueLimits& chunk = {}) override {
    return dms_.pending(r, now, chunk);
  }
  void ack(const std::string& r, std::int64_t seq) override { dms_.ack(r, seq); }
  std::size_t queued(const std::string& r, Millis now) override { return dms_.queued(r, now); }
  std::size_t purge_expired(Millis now) override { return dms_.purge_expired(now); }
  std::size_t size() override { return dms_.size(); }
  void write_rooms(const RoomBatch& batch) override;
  std::vector<StoredRoom> load_rooms() override;
  std::string health_problem() override { return ""; }
  std::string describe() const override { return "memory://"; }

 private:
  MemoryDmStore dms_;
  std::mutex mutex_;
  std::map<std::string, StoredRoom> rooms_;
};

}  // namespace roomctl::store
