// ClusterNode's roster and control messages: who is online on which node (so that presence,
// direct messages, friend requests and invites reach users anywhere), cluster-wide takeover of a
// userId, direct messages with their acknowledgements, resynchronisation after a bus gap.
//
// Control messages are JSON bodies (small, rare next to room frames):
//   online {user, dialect, status, at}  a user bound on the sender (at: when, wall ms)
//   offline {user}                      it left the sender
//   status {user, status}               its status changed (in a room of the sender)
//   roster? {}                          "tell me everyone online on your node" (a new node, or
//                                       one that lost messages while resubscribing)
//   close {user, code, reason}          close the user's socket (kick, takeover)
//   dm {user, key, frame} / dm_ack {key, ok}   a direct message and whether it was written
//   resync {room, users}                a gateway missed frames: send these members the state
//   not_owner {room}                    the sender does not run the room (the gateway's cached
//                                       owner is stale)
//   owner {room, node}                  the room moved to `node` (a hand-over)
//   adopt {room}                        the room was handed over to you: restore and run it
#include <boost/json/parse.hpp>

#include "server/cluster/bus_codec.hpp"
#include "server/metrics/cluster_metrics.hpp"
#include "server/runtime/cluster_node.hpp"
#include "server/runtime/cluster_remote_member.hpp"
#include "server/runtime/room_service.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/util/log.hpp"

namespace roomctl::runtime {

namespace json = boost::json;

namespace {
constexpr std::size_t kMaxPendingDms = 10'000;
constexpr Millis kDmAckTimeoutMs = 5'000;

std::string text(const json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
std::int64_t number(const json::object& o, const char* key, std::int64_t fallback) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->get_int64() : fallback;
}
bool valid_status(std::int64_t s) {
  return s >= 0 && s <= static_cast<int>(UserStatus::in_game);
}
}  // namespace

void ClusterNode::presence_changed(Presence::Change change, const std::string& user) {
  switch (change) {
    case Presence::Change::bound: {
      auto conn = directory_.connection(user);
      if (!conn || conn->remote()) return;
      Millis now = wall_now_ms();
      {
        std::lock_guard lock(bound_mutex_);
        bound_at_[user] = now;
      }
      broadcast("online", {{"user", user},
                           {"dialect", static_cast<int>(directory_.dialect(user))},
                           {"status", static_cast<int>(directory_.status(user))},
                           {"at", now}});
      return;
    }
    case Presence::Change::status:
      broadcast("status", {{"user", user}, {"status", static_cast<int>(directory_.status(user))}});
      return;
    case Presence::Change::offline: {
      std::lock_guard lock(bound_mutex_);
      bound_at_.erase(user);
    }
      broadcast("offline", {{"user", user}});
      return;
  }
}

void ClusterNode::bind_remote(const std::string& user, const std::string& node, int dialect,
                              int status, Millis bound_at) {
  if (auto conn = directory_.connection(user); conn && !conn->remote()) {
    // Connected here too: the later connection wins, on every node alike.
    std::lock_guard lock(bound_mutex_);
    auto it = bound_at_.find(user);
    if (bound_at == 0 || (it != bound_at_.end() && it->second > bound_at)) return;
  }
  auto d = dialect >= 0 ? static_cast<protocol::Dialect>(dialect) : directory_.dialect(user);
  auto r = directory_.bind(user,
                           std::make_shared<RemoteMember>(*this, node, user, next_member_id_++), d);
  if (valid_status(status)) directory_.set_status(user, static_cast<UserStatus>(status));
  if (r.replaced && !r.replaced->remote()) {
    {
      std::lock_guard lock(bound_mutex_);
      bound_at_.erase(user);
    }
    r.replaced->close(close_code::replaced, "replaced by a newer connection of the same user");
  }
  presence_.bound(user, r.replaced != nullptr, Presence::Origin::cluster);
  if (!r.rooms.empty()) rooms_.reconnected(user, r.rooms);
}

void ClusterNode::unbind_remote(const std::string& user, const std::string& node) {
  auto conn = directory_.connection(user);
  auto* member = dynamic_cast<RemoteMember*>(conn.get());
  if (!member || member->node() != node) return;  // it moved on already
  std::vector<std::string> rooms;
  if (!directory_.unbind(user, member->id(), wall_now_ms(), rooms)) return;
  presence_.went_offline(user, Presence::Origin::cluster);
  if (!rooms.empty()) rooms_.disconnected(user, rooms);
}

void ClusterNode::drop_node(const std::string& node) {
  std::vector<std::string> users;
  directory_.for_each_online([&](const std::string& u, UserStatus, Outbox& o) {
    if (auto* m = dynamic_cast<RemoteMember*>(&o); m && m->node() == node) users.push_back(u);
  });
  for (const auto& u : users) unbind_remote(u, node);
}

void ClusterNode::secret_changed(const std::string& user, const std::string& digest, Millis at) {
  broadcast("secret", {{"user", user}, {"digest", digest}, {"at", at}});
}

void ClusterNode::send_roster(const std::string& node) {
  std::vector<std::pair<std::string, UserStatus>> local;
  directory_.for_each_online([&](const std::string& u, UserStatus s, Outbox& o) {
    if (!o.remote()) local.emplace_back(u, s);
  });
  for (const auto& [u, s] : local) {
    Millis at;
    {
      std::lock_guard lock(bound_mutex_);
      auto it = bound_at_.find(u);
      at = it == bound_at_.end() ? 1 : it->second;
    }
    queue_control(node, "online",
                  {{"user", u},
                   {"dialect", static_cast<int>(directory_.dialect(u))},
                   {"status", static_cast<int>(s)},
                   {"at", at}});
  }
  // Every user protected here, online or within its grace (a reconnect wave comes through the
  // nodes that join). One not online here is remembered there for at most a grace, since
  // nothing will tell that node when the grace ends.
  if (secrets_.for_each_issued)
    secrets_.for_each_issued([&](const std::string& u, const std::string& d, Millis at) {
      Millis until = directory_.online(u) ? 0 : wall_now_ms() + options_.reconnect_grace_ms;
      queue_control(node, "secret", {{"user", u}, {"digest", d}, {"at", at}, {"until", until}});
    });
}

void ClusterNode::send_dm(const std::string& node, const std::string& user, const Frame& frame,
                          std::function<void(bool)> done) {
  std::string key;
  {
    std::lock_guard lock(bus_mutex_);
    if (dms_settled_ || dms_.size() >= kMaxPendingDms) {
      // Never called back in the caller's stack: the message goes to the queue from here (the
      // job thread runs what is queued when it stops).
      if (!jobs_.post_internal([done] { done(false); })) done(false);
      return;
    }
    key = options_.node_id + ":" + std::to_string(++next_dm_);
    dms_[key] = {std::move(done), wall_now_ms() + kDmAckTimeoutMs};
  }
  queue_control(node, "dm", {{"user", user}, {"key", key}, {"frame", *frame}});
}

void ClusterNode::settle_dms() {
  std::vector<std::function<void(bool)>> pending;
  {
    std::lock_guard lock(bus_mutex_);
    dms_settled_ = true;  // from now on no acknowledgement is awaited: straight to the queue
    for (auto& [key, dm] : dms_) pending.push_back(std::move(dm.done));
    dms_.clear();
  }
  for (auto& done : pending) done(false);
}

void ClusterNode::on_control(const std::string& from, const cluster::ControlMessage& c) {
  json::object body;
  try {
    auto v = json::parse(c.body);
    if (!v.is_object()) return;
    body = std::move(v.as_object());
  } catch (const std::exception&) {
    metrics_->decode_errors.inc();
    return;
  }
  const std::string user = text(body, "user");
  if (c.type == "online") {
    if (!user.empty())
      bind_remote(user, from, static_cast<int>(number(body, "dialect", -1)),
                  static_cast<int>(number(body, "status", -1)), number(body, "at", 1));
  } else if (c.type == "offline") {
    unbind_remote(user, from);
  } else if (c.type == "status") {
    auto s = number(body, "status", -1);
    if (valid_status(s) && directory_.set_status(user, static_cast<UserStatus>(s)) &&
        directory_.online(user))
      presence_.status_changed(user, Presence::Origin::cluster);
  } else if (c.type == "roster?") {
    send_roster(from);
  } else if (c.type == "secret") {
    if (secrets_.remember)
      secrets_.remember(user, text(body, "digest"), number(body, "at", 0),
                        number(body, "until", 0));
  } else if (c.type == "close") {
    if (auto conn = directory_.connection(user); conn && !conn->remote())
      conn->close(static_cast<std::uint16_t>(number(body, "code", close_code::kicked)),
                  text(body, "reason"));
  } else if (c.type == "dm") {
    std::string key = text(body, "key");
    auto ack = [this, from, key](bool written) {
      queue_control(from, "dm_ack", {{"key", key}, {"ok", written}});
    };
    auto conn = directory_.connection(user);
    if (conn && !conn->remote())
      conn->send_then(make_frame(text(body, "frame")), ack);
    else
      ack(false);
  } else if (c.type == "dm_ack") {
    std::function<void(bool)> done;
    {
      std::lock_guard lock(bus_mutex_);
      auto it = dms_.find(text(body, "key"));
      if (it == dms_.end()) return;  // timed out already: it went to the queue
      done = std::move(it->second.done);
      dms_.erase(it);
    }
    auto* ok = body.if_contains("ok");
    done(ok && ok->is_bool() && ok->get_bool());
  } else if (c.type == "resync") {
    std::string room = text(body, "room");
    auto* users = body.if_contains("users");
    if (room.empty() || !users || !users->is_array()) return;
    // Only members connected to the asking node: a resync must not seat anyone else, nor mark
    // a member who left as back.
    for (const auto& u : users->get_array()) {
      if (!u.is_string()) continue;
      std::string user(u.get_string());
      auto* member = dynamic_cast<RemoteMember*>(directory_.connection(user).get());
      if (member && member->node() == from) rooms_.reconnected(user, {room});
    }
  } else if (c.type == "not_owner") {
    std::lock_guard lock(bus_mutex_);
    owners_.erase(text(body, "room"));
  } else if (c.type == "owner") {
    std::string room = text(body, "room"), node = text(body, "node");
    std::lock_guard lock(bus_mutex_);
    if (!room.empty() && !node.empty() && node != options_.node_id) {
      owners_[room] = node;
      unknown_.erase(room);
    }
  } else if (c.type == "adopt") {
    // Held from now on, in this message too (inputs come after controls), until it runs here.
    std::string room = text(body, "room");
    if (room.empty()) return;
    {
      std::lock_guard lock(bus_mutex_);
      incoming_.insert(room);
      owners_.erase(room);  // it is ours now, not the old owner's
      unknown_.erase(room);
    }
    if (!jobs_.post_internal([this, room] { adopt_handed(room); })) {  // stopping
      std::lock_guard lock(bus_mutex_);
      incoming_.erase(room);
    }
  } else {
    log::debug("cluster_unknown_control", {{"type", c.type}, {"from", from}});
  }
}

}  // namespace roomctl::runtime
