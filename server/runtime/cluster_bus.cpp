// ClusterNode's bus: collecting what goes to other nodes (frames, forwarded messages, control
// messages) into one bus message per node per tick, publishing it, routing again what nobody
// received, and receiving: frames to local sessions (gaps noticed), player messages for our
// rooms, control messages (cluster_roster.cpp). Four times a second the bus thread also reads
// the node list: nodes that died or appeared, the sweeper, DM ack timeouts.
#include "server/runtime/cluster_node.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "server/cluster/bus_batcher.hpp"
#include "server/cluster/bus_transport.hpp"
#include "server/cluster/gap_detector.hpp"
#include "server/cluster/joinable_index.hpp"
#include "server/cluster/node_lease.hpp"
#include "server/cluster/room_registry.hpp"
#include "server/metrics/cluster_metrics.hpp"
#include "server/protocol/envelope.hpp"
#include "server/protocol/replies.hpp"
#include "server/runtime/cluster_remote_member.hpp"
#include "server/runtime/game_catalogue.hpp"
#include "server/runtime/room_service.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/util/log.hpp"

namespace roomctl::runtime {

namespace json = boost::json;

namespace {
constexpr std::size_t kMaxFollowedRooms = 100'000;
// Local users one followed room remembers (far above any room's seats and spectators).
constexpr std::size_t kMaxFollowedUsers = 1024;
constexpr std::size_t kMaxCachedOwnersHere = 100'000;  // as cluster_node.cpp's owner cache
// A member's message passed on by a former owner more often than this is dropped: two nodes that
// each think the other owns a room must not bounce it between them for ever.
constexpr std::uint64_t kMaxInputHops = 2;
// How long a node that handed a room over passes its messages on to the new owner (the gateways
// learn the new owner from the first of them).
constexpr Millis kMovedMemoryMs = 600'000;
constexpr Millis kReservationMemoryMs = 10'000;  // JoinableIndex's reservation TTL
}  // namespace

// --- sending ------------------------------------------------------------------------------

void ClusterNode::add_input_locked(const std::string& node, const std::string& room,
                                   const std::string& user, const Frame& raw,
                                   const std::string& gateway, std::uint64_t hops) {
  batcher_->add_input(node, {room, user, std::string(*raw), gateway, hops});
  metrics_->forwarded_inputs.inc();
  if (!pending_) {
    pending_ = true;
    bus_wake_.notify_one();
  }
}

void ClusterNode::queue_input(const std::string& node, const std::string& room,
                              const std::string& user, const Frame& raw, const std::string& gateway,
                              std::uint64_t hops) {
  std::lock_guard lock(bus_mutex_);
  add_input_locked(node, room, user, raw, gateway, hops);
}

std::string ClusterNode::gateway_of(const Client& client) {
  auto* member = dynamic_cast<const RemoteMember*>(client.outbox.get());
  return member ? member->node() : std::string();
}

void ClusterNode::own_locked(const std::string& room, Owned owned) {
  owned_[room] = std::move(owned);
  moved_.erase(room);
  unknown_.erase(room);
}

void ClusterNode::queue_frame(const std::string& node, const std::string& room,
                              const std::string& user, const Frame& frame) {
  std::lock_guard lock(bus_mutex_);
  if (stopping_ && !bus_thread_.joinable()) return;
  std::int64_t epoch = 0;
  if (!room.empty())
    if (auto it = owned_.find(room); it != owned_.end()) epoch = it->second.epoch;
  batcher_->add_member_frame(node, room, epoch, user, frame);
  if (!pending_) {
    pending_ = true;
    bus_wake_.notify_one();
  }
}

void ClusterNode::queue_control(const std::string& node, std::string type,
                                const json::object& body) {
  std::lock_guard lock(bus_mutex_);
  add_control_locked(node, std::move(type), body);
}

void ClusterNode::add_control_locked(const std::string& node, std::string type,
                                     const json::object& body) {
  batcher_->add_control(node, {"", std::move(type), json::serialize(body)});
  if (!pending_) {
    pending_ = true;
    bus_wake_.notify_one();
  }
}

void ClusterNode::broadcast(const std::string& type, const json::object& body) {
  std::string text = json::serialize(body);
  std::lock_guard lock(bus_mutex_);
  for (const auto& node : alive_)
    if (node != options_.node_id) batcher_->add_control(node, {"", type, text});
  if (!pending_) {
    pending_ = true;
    bus_wake_.notify_one();
  }
}

// The bus thread: waits for the first item, lets the batch fill for bus_delay, publishes it in
// one round trip; four times a second it reads the node list (and times out unacknowledged DMs).
void ClusterNode::bus_loop() {
  using clock = std::chrono::steady_clock;
  auto next_list = clock::now();
  std::unique_lock lock(bus_mutex_);
  while (!stopping_) {
    if (!pending_) bus_wake_.wait_until(lock, next_list, [this] { return stopping_ || pending_; });
    if (stopping_) break;
    if (pending_) {
      lock.unlock();
      if (options_.bus_delay_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.bus_delay_ms));
      publish_pending();
      lock.lock();
    }
    if (clock::now() >= next_list) {
      lock.unlock();
      refresh_nodes();
      lock.lock();
      // Often: how soon a dead node's rooms are taken over depends on it.
      next_list = clock::now() + std::chrono::milliseconds(250);
    }
  }
}

void ClusterNode::publish_pending() {
  std::vector<cluster::OutgoingBusMessage> out;
  {
    std::lock_guard lock(bus_mutex_);
    out = batcher_->take();
    pending_ = false;
  }
  if (out.empty()) return;
  auto started = std::chrono::steady_clock::now();
  std::vector<long long> receivers;
  try {
    receivers = publisher_->publish(out);
  } catch (const std::exception& e) {
    // Lost like a message the bus dropped: room frames show up as gaps at their gateways.
    metrics_->publish_failures.inc();
    log::warn("cluster_publish_failed", {{"error", e.what()}});
    return;
  }
  metrics_->publish_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  for (std::size_t i = 0; i < out.size() && i < receivers.size(); ++i) {
    bool lost = receivers[i] == 0;
    {
      std::lock_guard lock(bus_mutex_);
      if (lost)
        unreachable_.insert(out[i].node);
      else
        unreachable_.erase(out[i].node);
    }
    if (lost && out[i].inputs > 0) reroute_lost_inputs(out[i]);
  }
  for (const auto& m : out) {
    metrics_->messages_sent.inc();
    metrics_->bytes_sent.inc(static_cast<double>(m.bytes.size()));
    metrics_->items.with({"frame", "sent"}).inc(static_cast<double>(m.frames));
    metrics_->items.with({"input", "sent"}).inc(static_cast<double>(m.inputs));
    metrics_->items.with({"control", "sent"}).inc(static_cast<double>(m.controls));
  }
}

// --- receiving ----------------------------------------------------------------------------

void ClusterNode::on_bus_message(std::string_view bytes) {
  cluster::BusMessage m;
  try {
    m = cluster::decode(bytes);
  } catch (const cluster::BusDecodeError& e) {
    metrics_->decode_errors.inc();
    log::warn("cluster_bus_decode_failed", {{"error", e.what()}});
    return;
  }
  metrics_->messages_received.inc();
  metrics_->bytes_received.inc(static_cast<double>(bytes.size()));
  metrics_->items.with({"control", "received"}).inc(static_cast<double>(m.controls.size()));
  metrics_->items.with({"input", "received"}).inc(static_cast<double>(m.inputs.size()));
  metrics_->items.with({"frame", "received"}).inc(static_cast<double>(m.frames.size()));
  // Controls first: a user's arrival precedes its messages sent in the same tick. One item that
  // throws costs that item only, never the other players' items of the same message.
  auto each = [&](auto& items, auto handle) {
    for (auto& item : items) {
      try {
        handle(item);
      } catch (const std::exception& e) {
        metrics_->decode_errors.inc();
        log::warn("cluster_bus_item_failed", {{"from", m.from}, {"error", e.what()}});
      }
    }
  };
  each(m.controls, [&](const cluster::ControlMessage& c) { on_control(m.from, c); });
  each(m.inputs, [&](cluster::MemberInput& i) { on_input(m.from, i); });
  each(m.frames, [&](cluster::RoomFrame& f) { on_frame(m.from, f); });
}

void ClusterNode::on_frame(const std::string& from, cluster::RoomFrame& frame) {
  if (!frame.room.empty()) {
    auto seen = gaps_->observe(frame.room, frame.epoch, frame.seq);
    if (seen.verdict == cluster::GapDetector::Verdict::duplicate ||
        seen.verdict == cluster::GapDetector::Verdict::stale_epoch)
      return;
    if (followed_.size() >= kMaxFollowedRooms && !followed_.count(frame.room)) {
      followed_.clear();
      *gaps_ = cluster::GapDetector();
    }
    auto& f = followed_[frame.room];
    if (f.first != from) {
      // The room's frames come from a new owner (adopted, taken over): our players' messages
      // go there from now on, whoever told us otherwise.
      f.first = from;
      std::lock_guard lock(bus_mutex_);
      if (!owned_.count(frame.room) && !moving_.count(frame.room) &&
          !incoming_.count(frame.room)) {  // late frames of a room that came here
        if (owners_.size() >= kMaxCachedOwnersHere) owners_.clear();
        owners_[frame.room] = from;
        unknown_.erase(frame.room);
      }
    }
    bool pruned = false;
    for (const auto& u : frame.users) {
      if (f.second.count(u)) continue;
      if (f.second.size() >= kMaxFollowedUsers && !pruned) {
        prune_followers(f.second);
        pruned = true;
      }
      if (f.second.size() < kMaxFollowedUsers) f.second.insert(u);
    }
    if (seen.verdict == cluster::GapDetector::Verdict::gap) {
      metrics_->gaps.inc(static_cast<double>(seen.missed));
      log::info("cluster_bus_gap",
                {{"room", frame.room}, {"owner", from}, {"missed", std::to_string(seen.missed)}});
      prune_followers(f.second);
      queue_control(
          from, "resync",
          {{"room", frame.room}, {"users", json::array(f.second.begin(), f.second.end())}});
    }
  }
  for (const auto& u : frame.users) {
    auto conn = directory_.connection(u);
    if (conn && !conn->remote()) conn->send(frame.payload);
  }
}

void ClusterNode::on_input(const std::string& from, cluster::MemberInput& input) {
  metrics_->remote_inputs.inc();
  if (input.user.empty()) return;
  // Where the member is connected: the sender, unless a former owner passed the message on.
  const std::string gateway = input.gateway.empty() ? from : input.gateway;
  const bool ours = gateway == options_.node_id;  // a member of ours, passed back to us
  if (!input.room.empty() && !rooms_.has_room(input.room)) {
    std::lock_guard lock(bus_mutex_);
    if (auto m = moved_.find(input.room); m != moved_.end()) {
      // Handed over from here: the message goes on to the new owner, the gateway learns it.
      // The new owner may be the sender itself (it cached us while the room moved to it): the
      // hop count, not the sender, ends a loop.
      const std::string owner = m->second.node;
      if (input.hops < kMaxInputHops)
        add_input_locked(owner, input.room, input.user, make_frame(std::move(input.payload)),
                         gateway, input.hops + 1);
      if (ours)
        owners_[input.room] = owner;
      else
        add_control_locked(gateway, "owner", {{"room", input.room}, {"node", owner}});
      return;
    }
    if (!incoming_.count(input.room) && !moving_.count(input.room)) {
      if (ours)
        owners_.erase(input.room);
      else
        add_control_locked(gateway, "not_owner", {{"room", input.room}});
      check_unannounced_locked(input.room);
    }
  }
  if (ours) {
    auto conn = directory_.connection(input.user);
    if (!conn || conn->remote()) return;  // gone meanwhile
    Client c;
    c.outbox = conn;
    c.user = input.user;
    return handle_here(c, make_frame(std::move(input.payload)));
  }
  // The sender sits on `gateway`: make sure this node knows where it is (the roster's message
  // may have been lost), then handle the message as if it had arrived here.
  auto conn = directory_.connection(input.user);
  auto* member = dynamic_cast<RemoteMember*>(conn.get());
  if (!conn || (member && member->node() != gateway)) bind_remote(input.user, gateway, -1, -1, 0);
  Client c;
  conn = directory_.connection(input.user);
  member = dynamic_cast<RemoteMember*>(conn.get());
  if (member && member->node() == gateway)
    c.outbox = conn;
  else  // the user is connected here too: the answer goes where the message came from
    c.outbox = std::make_shared<RemoteMember>(*this, gateway, input.user, next_member_id_++);
  c.user = input.user;
  handle_here(c, make_frame(std::move(input.payload)));
}

void ClusterNode::handle_here(const Client& client, const Frame& raw) {
  protocol::EnvelopeLimits limits{options_.max_id_length, &body_unused};
  auto parsed = protocol::parse_envelope(*raw, limits);
  if (!parsed.ok) return;  // the gateway checked it: a node that sends garbage is ignored
  auto& env = parsed.envelope;
  const GameEntry* game = game_for(env);
  if (!game) return;
  env.family = protocol::Family::game;
  Client c = client;
  c.dialect = env.dialect;  // the latest game frame sets the dialect, as on the gateway
  if (c.outbox && c.outbox == directory_.connection(c.user))
    directory_.set_dialect(c.user, env.dialect);
  rooms_.handle(*game, c, env, raw, /*forwarded=*/true);
}

void ClusterNode::on_resubscribed() {
  // Messages published while we were not subscribed are lost: ask for the roster again, and
  // resynchronise every room we follow (the first subscription has nothing to catch up on).
  bool again = std::exchange(subscribed_once_, true);
  {
    std::lock_guard lock(bus_mutex_);
    for (const auto& node : alive_)
      if (node != options_.node_id) batcher_->add_control(node, {"", "roster?", "{}"});
    pending_ = true;
  }
  bus_wake_.notify_one();
  if (!again) return;
  log::warn("cluster_bus_resubscribed", {{"rooms_followed", std::to_string(followed_.size())}});
  std::set<std::string> owners;
  for (const auto& [room, f] : followed_) owners.insert(f.first);
  for (const auto& owner : owners) resync_followed(owner);
}

void ClusterNode::resync_followed(const std::string& owner) {
  for (auto& [room, f] : followed_)
    if (f.first == owner) {
      prune_followers(f.second);
      queue_control(owner, "resync",
                    {{"room", room}, {"users", json::array(f.second.begin(), f.second.end())}});
    }
}

void ClusterNode::prune_followers(std::unordered_set<std::string>& users) {
  for (auto it = users.begin(); it != users.end();) {
    auto conn = directory_.connection(*it);
    it = conn && !conn->remote() ? std::next(it) : users.erase(it);
  }
}

void ClusterNode::refresh_nodes() {
  std::vector<cluster::NodeStatus> list;
  try {
    list = nodes_->list();
  } catch (const std::exception&) {
    return;  // Redis away: "unknown", never "everyone died"
  }
  std::set<std::string> alive;
  std::vector<std::string> dead;  // nodes listed without a lease: their rooms are taken over
  std::unordered_map<std::string, double> loads;
  for (const auto& n : list) {
    if (n.alive) loads[n.info.id] = n.info.load;
    if (n.alive)
      alive.insert(n.info.id);
    else
      dead.push_back(n.info.id);
  }
  std::vector<std::string> gone, joined, retry;
  {
    std::lock_guard lock(bus_mutex_);
    for (const auto& n : alive_)
      if (!alive.count(n)) gone.push_back(n);
    for (const auto& n : alive)
      if (!alive_.count(n)) joined.push_back(n);
    alive_ = alive;
    loads_ = std::move(loads);
    // Unreachable is a hint for at most one refresh: held rooms are retried now.
    unreachable_.clear();
    for (auto it = moved_.begin(); it != moved_.end();)
      it = mono_now_ms() - it->second.at > kMovedMemoryMs ? moved_.erase(it) : std::next(it);
    // Reservations lapse in Redis after 10 s: so do our notes of them.
    for (auto it = reserved_.begin(); it != reserved_.end();) {
      auto& list = it->second;
      list.erase(std::remove_if(
                     list.begin(), list.end(),
                     [](const Reserved& r) { return mono_now_ms() - r.at > kReservationMemoryMs; }),
                 list.end());
      it = list.empty() ? reserved_.erase(it) : std::next(it);
    }
    for (const auto& [room, msgs] : held_)
      if (!moving_.count(room) && !incoming_.count(room)) retry.push_back(room);
    // Direct messages whose ack never came go to the queue (at least once, maybe twice).
    Millis now = wall_now_ms();
    for (auto it = dms_.begin(); it != dms_.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      auto done = std::move(it->second.done);
      it = dms_.erase(it);
      jobs_.post_internal([done] { done(false); });
    }
  }
  metrics_->nodes_alive.set(static_cast<double>(alive.size()));
  bool held = lease_ && lease_->state() == cluster::LeaseKeeper::State::held;
  auto reasserts = lease_ ? lease_->reasserts() : 0;
  if (!held || reasserts != lease_reasserts_seen_)
    lease_stable_since_ = 0;
  else if (lease_stable_since_.load() == 0)
    lease_stable_since_ = mono_now_ms();
  lease_reasserts_seen_ = reasserts;
  if (++list_reads_ % 4 == 0) {  // O(online users): once a second is enough for a gauge
    double remote = 0;
    directory_.for_each_online(
        [&](const std::string&, UserStatus, Outbox& o) { remote += o.remote(); });
    metrics_->remote_members.set(remote);
  }
  metrics_->lease_held.set(lease_ && lease_->state() == cluster::LeaseKeeper::State::held ? 1 : 0);
  for (const auto& n : gone) {
    log::info("cluster_node_gone", {{"node", n}});
    drop_node(n);
  }
  // A node that appears (new, or back from a pause) and we learn each other's users.
  for (const auto& n : joined) {
    if (n == options_.node_id) continue;
    send_roster(n);
    queue_control(n, "roster?", {});
  }
  sweep_dead_nodes(dead);
  // Retried every refresh: a full queue only postpones one to the next.
  for (const auto& room : retry) jobs_.post([this, room] { take_over(room); });
}

}  // namespace roomctl::runtime
