// How much one user or one IP address may do: room creations per minute, rooms held at once,
// direct messages per minute, identities bound per address per minute, open connections per
// address (abuse.* in the profile; 0 turns a limit off). One client filled limits.max_rooms for
// everyone in 21 s without these. Every refusal is counted in roomctl_refusals_total{limit}.
// Thread-safe: one small mutex, O(1) per call; minute windows are fixed (a burst across a
// window's edge may reach twice a limit, which is enough to stop floods).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/config/auth_options.hpp"
#include "server/util/clock.hpp"

namespace roomctl::metrics {
struct ServerMetrics;
}

namespace roomctl::runtime {

class AbuseLimits {
 public:
  AbuseLimits(const config::AbuseOptions& options, metrics::ServerMetrics& metrics);

  // The limit a room creation by `user` from `address` would pass (its metric label and the
  // `code` of the refusal; the caller counts it), or nullptr when it may go on; an allowed
  // creation is counted in the windows.
  const char* room_create(const std::string& user, const std::string& address, Millis now);
  void room_created(const std::string& user, const std::string& room);
  void room_removed(const std::string& room);
  bool dm(const std::string& user, Millis now);
  // A new userId bound on a connection from `address`.
  bool identity(const std::string& address, Millis now);
  bool connection_opened(const std::string& address);
  void connection_closed(const std::string& address);
  // Sweeper: forgets windows that ended (keeps memory proportional to recent activity).
  void sweep(Millis now);

 private:
  struct Window {
    Millis start = 0;
    std::int64_t count = 0;
  };
  using Windows = std::unordered_map<std::string, Window>;
  // Counts one event in `key`'s window unless that reaches `limit`; false when refused.
  static bool take(Windows& windows, const std::string& key, std::int64_t limit, Millis now);
  bool refuse(const char* limit);

  config::AbuseOptions options_;
  metrics::ServerMetrics& metrics_;
  std::mutex mutex_;
  Windows creations_by_user_, creations_by_address_, dms_, identities_;
  std::unordered_map<std::string, std::int64_t> held_;         // user -> rooms it created
  std::unordered_map<std::string, std::string> creator_;       // room -> user who created it
  std::unordered_map<std::string, std::int64_t> connections_;  // address -> open connections
};

}  // namespace roomctl::runtime
