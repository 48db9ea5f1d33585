// Offline direct-message queues. push() returns only once the message is durable (for the
// durable stores), so the sender's message counts as handled only after that. A queue entry is
// removed by ack() only after the receiver took it: delivery is at-least-once.
// Every queue is bounded (QueueLimits): a push into a full queue is refused, never dropped
// silently, and every operation is O(1) in the queue's length except reading a chunk of it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "server/util/clock.hpp"

namespace roomctl::store {

struct QueuedMessage {
  std::int64_t seq;     // increasing per receiver; ack(up_to) removes seq <= up_to
  std::string payload;  // the JSON text to deliver
};

// How much one receiver's queue may hold (dm.max_queue_messages, dm.max_queue_bytes).
struct QueueLimits {
  std::size_t max_messages = std::numeric_limits<std::size_t>::max();
  std::size_t max_bytes = std::numeric_limits<std::size_t>::max();
};

enum class PushResult { queued, full };

class DmStore {
 public:
  virtual ~DmStore() = default;
  // Appends to the receiver's queue and refreshes the queue's expiry to now + ttl (ORIG: Redis
  // EXPIRE on every push), unless the queue would pass `limits`. Throws when the store fails.
  virtual PushResult push(const std::string& receiver, const std::string& payload, Millis now,
                          Millis ttl, const QueueLimits& limits) = 0;
  // The oldest part of the receiver's unexpired queue: at most `chunk.max_messages` messages and
  // no more than `chunk.max_bytes` of payload (but always the first message, if any).
  virtual std::vector<QueuedMessage> pending(const std::string& receiver, Millis now,
                                             const QueueLimits& chunk = {}) = 0;
  virtual void ack(const std::string& receiver, std::int64_t up_to_seq) = 0;
  // Messages in the receiver's unexpired queue (O(1)).
  virtual std::size_t queued(const std::string& receiver, Millis now) = 0;
  // Drops expired queues; returns how many messages were dropped.
  virtual std::size_t purge_expired(Millis now) = 0;
  virtual std::size_t size() = 0;  // queued messages in total
};

// Appends `m` to `out` unless `chunk` is already full; used by every store's pending().
inline bool take_into_chunk(std::vector<QueuedMessage>& out, std::size_t& bytes,
                            const QueueLimits& chunk, QueuedMessage m) {
  if (out.size() >= chunk.max_messages) return false;
  if (!out.empty() && bytes + m.payload.size() > chunk.max_bytes) return false;
  bytes += m.payload.size();
  out.push_back(std::move(m));
  return true;
}

}  // namespace roomctl::store
