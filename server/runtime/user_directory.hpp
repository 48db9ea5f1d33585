// Who is connected where: userId -> current connection, presence status and seated rooms.
// O(1) lookups under one mutex; disconnected users are kept for the reconnect grace in a
// deadline-ordered set, so expiring them never scans the whole directory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/games/game.hpp"
#include "server/runtime/outbox.hpp"

namespace roomctl::runtime {

using games::UserStatus;

class UserDirectory {
 public:
  struct BindResult {
    bool reconnect = false;            // the user was known (in grace, or a takeover)
    std::shared_ptr<Outbox> replaced;  // the previous connection, to be closed
    UserStatus status = UserStatus::idle;
    std::vector<std::string> rooms;  // rooms whose seats the user takes back
  };
  struct Expired {
    std::string user;
    std::vector<std::string> rooms;
  };

  // `dialect`: what the connection speaks; rooms pick each member's frames by it.
  BindResult bind(const std::string& user, std::shared_ptr<Outbox> conn,
                  protocol::Dialect dialect = protocol::Dialect::event_from);
  void set_dialect(const std::string& user, protocol::Dialect dialect);
  protocol::Dialect dialect(const std::string& user);
  // Marks the user offline if `conn_id` is still its connection. Returns false if it was not
  // (the user already moved to a newer socket), in which case nothing changes.
  bool unbind(const std::string& user, std::uint64_t conn_id, Millis now,
              std::vector<std::string>& rooms);
  // Users offline since before `now - grace` are forgotten; their rooms must run the leave logic.
  std::vector<Expired> expire(Millis now, Millis grace);

  // After a restart: a seated member starts disconnected, within its reconnect grace from `now`.
  void restore_offline(const std::string& user, const std::string& room, UserStatus status,
                       Millis now);

  bool send(const std::string& user, const Frame& frame);
  // A message whose frames differ per dialect: the user gets the one of its connection's
  // dialect (nothing when that one is null). Returns whether a frame was queued.
  bool send(const std::string& user, const games::Outbound& message,
            const std::string* room = nullptr);
  // Sends one message to several users under one lock, each the frame of its dialect (built
  // once per dialect, not per user); `except` is skipped. Returns how many frames were queued.
  // `room`: the room whose frames these are (Outbox::send_in_room), if any.
  std::size_t send_many(const std::vector<std::string>& users, const games::Outbound& message,
                        const std::string* except, const std::string* room = nullptr);
  std::shared_ptr<Outbox> connection(const std::string& user);
  bool online(const std::string& user);
  bool known(const std::string& user);
  // Returns true if the status changed.
  bool set_status(const std::string& user, UserStatus status);
  UserStatus status(const std::string& user);
  void add_room(const std::string& user, const std::string& room);
  void remove_room(const std::string& user, const std::string& room);
  std::vector<std::string> rooms(const std::string& user);

  // Calls fn for every online user under the lock: fn must only queue (Outbox::send posts).
  void for_each_online(const std::function<void(const std::string&, UserStatus, Outbox&)>& fn);
  std::size_t online_count();
  std::size_t known_count();

 private:
  struct User {
    std::shared_ptr<Outbox> conn;  // null while disconnected
    protocol::Dialect dialect = protocol::Dialect::event_from;
    UserStatus status = UserStatus::idle;
    std::unordered_set<std::string> rooms;
    Millis offline_since = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, User> users_;
  std::set<std::pair<Millis, std::string>> offline_;  // (offline_since, user)
  std::size_t online_ = 0;
};

}  // namespace roomctl::runtime
