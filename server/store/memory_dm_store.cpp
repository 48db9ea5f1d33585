// In-memory DM queues.
#include "server/store/memory_dm_store.hpp"

namespace roomctl::store {

PushResult MemoryDmStore::push(const std::string& receiver, const std::string& payload, Millis now,
                               Millis ttl, const QueueLimits& limits) {
  std::lock_guard lock(mutex_);
  auto& q = queues_[receiver];
  if (q.expires_at != 0 && q.expires_at <= now) {  // lazily expire before appending
    size_ -= q.messages.size();
    q.messages.clear();
    q.bytes = 0;
  }
  if (q.messages.size() + 1 > limits.max_messages || q.bytes + payload.size() > limits.max_bytes) {
    if (q.messages.empty()) queues_.erase(receiver);
    return PushResult::full;
  }
  q.messages.push_back({next_seq_++, payload});
  q.bytes += payload.size();
  q.expires_at = now + ttl;
  ++size_;
  return PushResult::queued;
}

std::vector<QueuedMessage> MemoryDmStore::pending(const std::string& receiver, Millis now,
                                                  const QueueLimits& chunk) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(receiver);
  if (it == queues_.end() || it->second.expires_at <= now) return {};
  std::vector<QueuedMessage> out;
  std::size_t bytes = 0;
  for (const auto& m : it->second.messages)
    if (!take_into_chunk(out, bytes, chunk, m)) break;
  return out;
}

void MemoryDmStore::ack(const std::string& receiver, std::int64_t up_to_seq) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(receiver);
  if (it == queues_.end()) return;
  auto& q = it->second;
  while (!q.messages.empty() && q.messages.front().seq <= up_to_seq) {
    q.bytes -= q.messages.front().payload.size();
    q.messages.pop_front();
    --size_;
  }
  if (q.messages.empty()) queues_.erase(it);
}

std::size_t MemoryDmStore::queued(const std::string& receiver, Millis now) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(receiver);
  return it == queues_.end() || it->second.expires_at <= now ? 0 : it->second.messages.size();
}

std::size_t MemoryDmStore::purge_expired(Millis now) {
  std::lock_guard lock(mutex_);
  std::size_t dropped = 0;
  for (auto it = queues_.begin(); it != queues_.end();) {
    if (it->second.expires_at <= now) {
      dropped += it->second.messages.size();
      it = queues_.erase(it);
    } else {
      ++it;
    }
  }
  size_ -= dropped;
  return dropped;
}

std::size_t MemoryDmStore::size() {
  std::lock_guard lock(mutex_);
  return size_;
}

}  // namespace roomctl::store
