// Presence fan-out (users_online, user_status_change, user_offline) with coalescing.
// ORIG sends every change to every user at once: O(N) frames per change, O(N^2) when N users
// arrive. Here changes are collected for presence.flush_interval and then, per flush:
//   - every user that came online (or reconnected) is announced in ONE users_online frame,
//   - every newcomer gets ONE full users_online list (built once, shared by all newcomers),
//   - a user's status changes collapse to its latest (one user_status_change),
//   - a user that went offline and did not come back gets one user_offline,
//   - more than batch_threshold status changes fold into the users_online frame, and more than
//     batch_threshold departures become one users_offline{users:[...]} frame (an addition).
// Each frame is serialised once and shared, so a flush costs O(online users x distinct frames)
// queue operations. A flush interval of 0 sends every change immediately (ORIG's behaviour).
// Above presence.full_list_max online users, a newcomer's full list holds that many users.
// At most presence.max_changes_per_flush users' changes go out per flush (the rest wait for the
// next), so identity churn costs bounded work and bytes per flush.
// presence.frames_per_second bounds what presence costs as the number online grows (every frame
// queued is a write: a profile of room setup with 5,000 online is ~60% sendmsg):
//   - per-user messages are sent only while (messages x online users) fits one interval's share
//     of the budget; beyond that they fold as above, so each user gets at most two frames per
//     flush (users_online, users_offline) whatever the number of changes;
//   - a flush that queued F frames defers the next by F / frames_per_second, so with N online
//     presence costs at most frames_per_second frames a second and N users get a flush at most
//     every N / frames_per_second seconds (changes keep coalescing meanwhile).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/runtime/user_directory.hpp"
#include "server/util/clock.hpp"

namespace roomctl::metrics {
struct ServerMetrics;
}

namespace roomctl::runtime {

struct PresenceLimits {
  // Caps the users_online list a newcomer receives (0 = no cap): with N users arriving, full
  // lists cost O(N^2) bytes, which a cap bounds to O(N x cap).
  std::size_t full_list_max = 0;
  // More status changes (or departures) than this in one flush are sent as one users_online (or
  // users_offline) frame instead of one message per user.
  std::size_t batch_threshold = 1'000'000;
  std::size_t max_changes_per_flush = 1'000'000;
  // Presence frames queued per second, server-wide (0 = unbounded): see the top of this file.
  std::size_t frames_per_second = 0;
  Millis flush_interval_ms = 100;  // the timer's period: one flush's share of the budget
};

class Presence {
 public:
  Presence(UserDirectory& directory, metrics::ServerMetrics& metrics, bool immediate,
           PresenceLimits limits = {});

  enum class Change { bound, status, offline };
  // Where a change happened: here, or on another node of the cluster (which told us; it is not
  // told again).
  enum class Origin { here, cluster };
  // Told of every change that happened here (the cluster passes them on to the other nodes).
  // Set before the server starts; called on the thread of the change, outside any lock.
  void set_observer(std::function<void(Change, const std::string& user)> observer) {
    observer_ = std::move(observer);
  }

  // first bind or reconnect
  void bound(const std::string& user, bool was_online, Origin origin = Origin::here);
  void status_changed(const std::string& user, Origin origin = Origin::here);
  void went_offline(const std::string& user, Origin origin = Origin::here);
  // The flush timer: flushes unless the previous flush's frames still defer it (`now` on a
  // monotonic clock).
  void tick(Millis now);
  // Flushes now (shutdown, immediate mode); returns how many frames were queued.
  std::size_t flush();

 private:
  struct Pending {
    bool was_online = false;  // as others last saw it
    bool bound = false;
    bool status = false;
  };
  Pending& pending(const std::string& user, bool was_online);
  void after_event(Change change, const std::string& user, Origin origin);
  std::function<void(Change, const std::string&)> observer_;

  // Whether `messages` per-user messages to `recipients` each stay separate (else they fold).
  bool separate(std::size_t messages, std::size_t recipients) const;

  UserDirectory& directory_;
  metrics::ServerMetrics& metrics_;
  bool immediate_;
  PresenceLimits limits_;
  std::mutex mutex_;
  Millis next_flush_at_ = 0;  // tick() flushes from then on (under mutex_)
  std::unordered_map<std::string, Pending> pending_;
};

}  // namespace roomctl::runtime
