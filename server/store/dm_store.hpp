// Offline direct-message queues. push() returns only once the message is durable (for the
// durable stores), so the sender's message counts as handled only after that. A queue entry is
// removed by ack() only after the receiver's socket took it: delivery is at-least-once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/util/clock.hpp"

namespace roomctl::store {

struct QueuedMessage {
  std::int64_t seq;     // increasing per receiver; ack(up_to) removes seq <= up_to
  std::string payload;  // the JSON text to deliver
};

class DmStore {
 public:
  virtual ~DmStore() = default;
  // Appends to the receiver's queue and refreshes the queue's expiry to now + ttl (ORIG: Redis
  // EXPIRE on every push).
  virtual void push(const std::string& receiver, const std::string& payload, Millis now,
                    Millis ttl) = 0;
  // The receiver's unexpired queue, oldest first.
  virtual std::vector<QueuedMessage> pending(const std::string& receiver, Millis now) = 0;
  virtual void ack(const std::string& receiver, std::int64_t up_to_seq) = 0;
  // Drops expired queues; returns how many messages were dropped.
  virtual std::size_t purge_expired(Millis now) = 0;
  virtual std::size_t size() = 0;  // queued messages in total
};

}  // namespace roomctl::store
