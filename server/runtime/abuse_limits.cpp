// Per-user and per-address limits (abuse.*): fixed one-minute windows and two counters.
#include "server/runtime/abuse_limits.hpp"

#include "server/metrics/server_metrics.hpp"

namespace roomctl::runtime {

namespace {
constexpr Millis kMinute = 60'000;
}

AbuseLimits::AbuseLimits(const config::AbuseOptions& options, metrics::ServerMetrics& metrics)
    : options_(options), metrics_(metrics) {}

bool AbuseLimits::take(Windows& windows, const std::string& key, std::int64_t limit, Millis now) {
  if (limit <= 0) return true;
  auto& w = windows[key];
  if (now - w.start >= kMinute) w = {now, 0};
  if (w.count >= limit) return false;
  ++w.count;
  return true;
}

bool AbuseLimits::refuse(const char* limit) {
  metrics_.refusals.with({limit}).inc();
  return false;
}

const char* AbuseLimits::room_create(const std::string& user, const std::string& address,
                                     Millis now) {
  std::lock_guard lock(mutex_);
  if (options_.rooms_held_per_user > 0) {
    auto it = held_.find(user);
    if (it != held_.end() && it->second >= options_.rooms_held_per_user) {
      return "rooms_held";
    }
  }
  if (!take(creations_by_user_, user, options_.room_creations_per_user, now)) {
    return "room_creations_user";
  }
  if (!address.empty() &&
      !take(creations_by_address_, address, options_.room_creations_per_address, now)) {
    return "room_creations_address";
  }
  return nullptr;
}

void AbuseLimits::room_created(const std::string& user, const std::string& room) {
  std::lock_guard lock(mutex_);
  if (!creator_.emplace(room, user).second) return;
  ++held_[user];
}

void AbuseLimits::room_removed(const std::string& room) {
  std::lock_guard lock(mutex_);
  auto it = creator_.find(room);
  if (it == creator_.end()) return;
  auto h = held_.find(it->second);
  if (h != held_.end() && --h->second <= 0) held_.erase(h);
  creator_.erase(it);
}

bool AbuseLimits::dm(const std::string& user, Millis now) {
  std::lock_guard lock(mutex_);
  return take(dms_, user, options_.dms_per_user, now) || refuse("dm_rate");
}

bool AbuseLimits::identity(const std::string& address, Millis now) {
  if (address.empty()) return true;
  std::lock_guard lock(mutex_);
  return take(identities_, address, options_.identities_per_address, now) ||
         refuse("identity_rate");
}

bool AbuseLimits::connection_opened(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto& n = connections_[address];
  if (options_.connections_per_address > 0 && n >= options_.connections_per_address) {
    if (n == 0) connections_.erase(address);
    return refuse("connections_per_address");
  }
  ++n;
  return true;
}

void AbuseLimits::connection_closed(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(address);
  if (it != connections_.end() && --it->second <= 0) connections_.erase(it);
}

void AbuseLimits::sweep(Millis now) {
  std::lock_guard lock(mutex_);
  for (auto* windows : {&creations_by_user_, &creations_by_address_, &dms_, &identities_})
    std::erase_if(*windows, [now](const auto& kv) { return now - kv.second.start >= kMinute; });
}

}  // namespace roomctl::runtime
