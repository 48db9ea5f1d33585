// Applies a control message once: the receiver remembers the idempotency keys it has applied
// for a window (longer than the sender's retries last) and answers a repeat with the same ack
// instead of applying it again. Bounded both by time and by count (oldest forgotten first), so a
// flood of unique keys costs memory up to max_keys, never more. Pure code: the caller passes
// the time.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>

#include "server/util/clock.hpp"

namespace roomctl::cluster {

class IdempotencyFilter {
 public:
  explicit IdempotencyFilter(Millis window_ms = 60000, std::size_t max_keys = 100000)
      : window_ms_(window_ms), max_keys_(max_keys) {}

  // True the first time a key is seen within the window.
  bool first_time(const std::string& key, Millis now);
  std::size_t size() const { return seen_.size(); }

 private:
  void expire(Millis now);

  Millis window_ms_;
  std::size_t max_keys_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<Millis, std::string>> order_;
};

}  // namespace roomctl::cluster
