// In-memory DmStore: for unit tests and `store.url: memory://` (nothing survives a restart).
#pragma once

#include <deque>
#include <mutex>
#include <unordered_map>

#include "server/store/dm_store.hpp"

namespace roomctl::store {

class MemoryDmStore : public DmStore {
 public:
  PushResult push(const std::string& receiver, const std::string& payload, Millis now, Millis ttl,
                  const QueueLimits& limits) override;
  std::vector<QueuedMessage> pending(const std::string& receiver, Millis now,
                                     const QueueLimits& chunk = {}) override;
  void ack(const std::string& receiver, std::int64_t up_to_seq) override;
  std::size_t queued(const std::string& receiver, Millis now) override;
  std::size_t purge_expired(Millis now) override;
  std::size_t size() override;

 private:
  struct Queue {
    std::deque<QueuedMessage> messages;
    std::size_t bytes = 0;
    Millis expires_at = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Queue> queues_;
  std::int64_t next_seq_ = 1;
  std::size_t size_ = 0;
};

}  // namespace roomctl::store
