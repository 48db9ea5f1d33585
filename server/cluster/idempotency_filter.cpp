// IdempotencyFilter: a set plus its keys in arrival order.
#include "server/cluster/idempotency_filter.hpp"

namespace roomctl::cluster {

void IdempotencyFilter::expire(Millis now) {
  while (!order_.empty() &&
         (order_.front().first + window_ms_ <= now || order_.size() > max_keys_)) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
}

bool IdempotencyFilter::first_time(const std::string& key, Millis now) {
  expire(now);
  if (!seen_.insert(key).second) return false;
  order_.emplace_back(now, key);
  if (order_.size() > max_keys_) expire(now);
  return true;
}

}  // namespace roomctl::cluster
