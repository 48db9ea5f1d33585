// In-memory DM queues.
#include "server/store/memory_dm_store.hpp"

namespace roomctl::store {

void MemoryDmStore::push(const std::string& receiver, const std::string& payload, Millis now,
                         Millis ttl) {
  std::lock_guard lock(mutex_);
  auto& q = queues_[receiver];
  if (q.expires_at != 0 && q.expires_at <= now) {  // lazily expire before appending
    size_ -= q.messages.size();
    q.messages.clear();
  }
  q.messages.push_back({next_seq_++, payload});
  q.expires_at = now + ttl;
  ++size_;
}

std::vector<QueuedMessage> MemoryDmStore::pending(const std::string& receiver, Millis now) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(receiver);
  if (it == queues_.end() || it->second.expires_at <= now) return {};
  return {it->second.messages.begin(), it->second.messages.end()};
}

void MemoryDmStore::ack(const std::string& receiver, std::int64_t up_to_seq) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(receiver);
  if (it == queues_.end()) return;
  auto& msgs = it->second.messages;
  while (!msgs.empty() && msgs.front().seq <= up_to_seq) {
    msgs.pop_front();
    --size_;
  }
  if (msgs.empty()) queues_.erase(it);
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
