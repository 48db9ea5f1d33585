// ClusterNode: lifecycle, room ownership (claims, the joinable index, releases) and forwarding
// of messages to their room's owner. The bus is in cluster_bus.cpp, the roster and control
// messages in cluster_roster.cpp, failover in cluster_takeover.cpp, hand-over in
// cluster_handover.cpp.
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
using cluster::Outcome;

namespace {
// Bounds on what other nodes' traffic can make this node remember; past them a map is simply
// emptied (an owner is looked up again, a room's next frame starts a new stream).
constexpr std::size_t kMaxCachedOwners = 100'000;
// Registry lookups under way (rooms whose owner is not cached), for the node and for one
// connection: messages for made-up room ids must not fill the job queue.
constexpr std::size_t kMaxLookups = 1000;
constexpr int kMaxLookupsPerConnection = 16;
// A room the registry does not know is answered from memory for this long (a client retrying).
constexpr Millis kUnknownRoomMs = 500;
constexpr std::size_t kMaxUnknownRooms = 10'000;
constexpr std::size_t kMaxReservationsPerConnection = 4;
}  // namespace

ClusterNode::ClusterNode(ClusterOptions options, UserDirectory& directory, Presence& presence,
                         RoomService& rooms, metrics::Registry& registry,
                         std::function<NodeLoad()> load, LoadRoom load_room)
    : options_(std::move(options)),
      directory_(directory),
      presence_(presence),
      rooms_(rooms),
      load_(std::move(load)),
      load_room_(std::move(load_room)),
      metrics_(std::make_unique<metrics::ClusterMetrics>(registry)),
      registry_(std::make_unique<cluster::RoomRegistry>(
          options_.redis, options_.node_id,
          cluster::RegistryOptions{options_.lease_ttl_ms, 24 * 3600 * 1000})),
      joinable_(std::make_unique<cluster::JoinableIndex>(options_.redis)),
      nodes_(std::make_unique<cluster::NodeLease>(options_.redis, options_.node_id + "/list",
                                                  options_.lease_ttl_ms)),
      publisher_(std::make_unique<cluster::BusPublisher>(options_.redis)),
      batcher_(std::make_unique<cluster::BusBatcher>(options_.node_id)),
      gaps_(std::make_unique<cluster::GapDetector>()) {}

ClusterNode::~ClusterNode() {
  stop();
}

void ClusterNode::start(std::string ws_address, std::string admin_address) {
  options_.ws_address = std::move(ws_address);
  options_.admin_address = std::move(admin_address);
  lease_ = std::make_unique<cluster::LeaseKeeper>(
      options_.redis, options_.node_id,
      cluster::LeaseKeeper::Options{std::max<Millis>(100, options_.lease_ttl_ms / 3),
                                    options_.lease_ttl_ms},
      [this] {
        auto l = load_();
        return cluster::NodeInfo{
            options_.node_id, options_.ws_address, options_.admin_address, l.load,
            l.rooms,          l.connections};
      },
      [this] {
        // Redis lost our records (restarted empty, or every lease expired while it was away):
        // our rooms are ours again with the same epochs, unless another node claimed one.
        std::vector<cluster::FencedSnapshot> mine;
        {
          std::lock_guard lock(bus_mutex_);
          for (const auto& [room, o] : owned_) mine.push_back({room, o.epoch, o.game, {}});
        }
        // A room claimed by another node meanwhile (we were paused or cut off past our lease)
        // is theirs: it stops here.
        jobs_.post_internal([this, mine] {
          auto answers = registry_->reassert_all(mine);
          for (std::size_t i = 0; i < answers.size() && i < mine.size(); ++i)
            if (answers[i].outcome == Outcome::stale) write_refused(mine[i].room);
        });
      });
  // The first refresh tells whether this node id is free. A lease held by another incarnation
  // may be our own previous life (a crash, a restart by systemd): wait for it to expire, and
  // only then refuse (another live process really holds the id).
  using State = cluster::LeaseKeeper::State;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(2000) +
                  std::chrono::milliseconds(options_.lease_ttl_ms);
  bool told = false;
  while (std::chrono::steady_clock::now() < deadline &&
         (lease_->state() == State::starting || lease_->state() == State::conflict)) {
    if (lease_->state() == State::conflict && !std::exchange(told, true))
      log::info("cluster_waiting_for_lease",
                {{"node", options_.node_id}, {"why", "an earlier process's lease is still alive"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (lease_->state() == State::conflict)
    throw std::runtime_error("cluster: node id \"" + options_.node_id +
                             "\" is held by another live process (server.node_id must be unique)");
  jobs_.start();
  subscriber_ = std::make_unique<cluster::BusSubscriber>(
      options_.redis, options_.node_id, [this](std::string_view bytes) { on_bus_message(bytes); },
      [this] { on_resubscribed(); });
  bus_thread_ = std::thread([this] { bus_loop(); });
  log::info("cluster_node_started",
            {{"node", options_.node_id}, {"redis", options_.redis.describe()}});
}

void ClusterNode::stop() {
  {
    std::lock_guard lock(bus_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  bus_wake_.notify_all();
  if (bus_thread_.joinable()) bus_thread_.join();
  publish_pending();  // the last frames of the shutdown
  if (subscriber_) subscriber_->stop();
  jobs_.stop();
  if (lease_) lease_->stop();  // releases the lease: the others forget our users at once
}

std::string ClusterNode::not_ready_reason() const {
  if (!lease_) return "cluster: not started";
  switch (lease_->state()) {
    case cluster::LeaseKeeper::State::held:
      return "";
    case cluster::LeaseKeeper::State::conflict:
      return "cluster: another process holds node id " + options_.node_id;
    default:
      return "cluster: the node's lease cannot be refreshed (Redis unreachable?)";
  }
}

// --- rooms --------------------------------------------------------------------------------

void ClusterNode::claim(const std::string& room, const std::string& game,
                        std::function<void(Claim)> done) {
  bool posted = jobs_.post([this, room, game, done] {
    Claim result = Claim::unavailable;
    try {
      auto r = registry_->claim(room, game, cluster::RoomRegistry::ClaimMode::create);
      if (r.outcome == Outcome::claimed || r.outcome == Outcome::owned) {
        std::lock_guard lock(bus_mutex_);
        own_locked(room, {r.epoch, game});
        result = Claim::claimed;
      } else if (r.outcome == Outcome::exists) {
        result = Claim::exists;
      }
    } catch (const std::exception& e) {
      log::warn("cluster_claim_failed", {{"room", room}, {"error", e.what()}});
    }
    done(result);
  });
  if (!posted) done(Claim::unavailable);
}

bool ClusterNode::owns_stored_room(const std::string& room) {
  try {
    auto owner = registry_->lookup(room);
    if (!owner || owner->node != options_.node_id) return false;
    std::lock_guard lock(bus_mutex_);
    own_locked(room, {owner->epoch, owner->game});
    return true;
  } catch (const std::exception& e) {
    log::warn("cluster_lookup_failed", {{"room", room}, {"error", e.what()}});
    return false;
  }
}

void ClusterNode::room_changed(const std::string& room, const std::string& index_key,
                               const games::Summary& summary,
                               const std::vector<std::string>& members) {
  std::int64_t epoch;
  {
    std::lock_guard lock(bus_mutex_);
    auto it = owned_.find(room);
    if (it == owned_.end()) return;
    epoch = it->second.epoch;
  }
  jobs_.post([this, room, index_key, epoch, seats = summary.open_seats, members] {
    joinable_->publish(index_key, room, options_.node_id, epoch, seats, members);
  });
}

void ClusterNode::room_removed(const std::string& room) {
  std::int64_t epoch;
  {
    std::lock_guard lock(bus_mutex_);
    auto it = owned_.find(room);
    if (it == owned_.end()) return;
    epoch = it->second.epoch;
    owned_.erase(it);
    batcher_->forget_room(room);
  }
  jobs_.post_internal([this, room, epoch] { registry_->release(room, epoch); });
}

void ClusterNode::quick_join(const Client& client, std::vector<QuickJoinSource> sources) {
  // A quick join needs no identity: a connection without a user reserves under its id.
  std::string who = !client.user.empty() ? client.user
                    : client.outbox      ? "connection-" + std::to_string(client.outbox->id())
                                         : std::string("anonymous");
  auto answer = [client](const std::optional<cluster::Reservation>& r, const std::string& mode) {
    if (!r) {
      client.send(protocol::frame(
          {{"type", "quick_join_response"}, {"status", false}, {"message", "No rooms available"}}));
      return;
    }
    json::object o{{"type", "quick_join_response"}, {"status", true}, {"roomId", r->room}};
    if (!mode.empty()) o["gameMode"] = mode;
    client.send(protocol::frame(o));
  };
  std::uint64_t connection = client.outbox ? client.outbox->id() : 0;
  bool posted = jobs_.post([this, sources = std::move(sources), who, answer, connection] {
    if (connection != 0) cancel_reservation(connection, who);
    for (const auto& s : sources) {
      std::optional<cluster::Reservation> r;
      try {
        r = joinable_->reserve(s.index_key, who);
      } catch (const std::exception&) {
        break;  // Redis away: no room to offer
      }
      if (!r) continue;
      {
        std::lock_guard lock(bus_mutex_);
        if (r->node != options_.node_id) {
          if (owners_.size() >= kMaxCachedOwners) owners_.clear();
          owners_[r->room] = r->node;
        }
        if (connection != 0)
          reserved_[connection].push_back({s.index_key, r->room, who, mono_now_ms()});
      }
      return answer(r, s.game_mode);
    }
    answer(std::nullopt, "");
  });
  if (!posted) answer(std::nullopt, "");
}

void ClusterNode::cancel_reservation(std::uint64_t connection, const std::string& who) {
  Reserved previous;
  {
    std::lock_guard lock(bus_mutex_);
    auto it = reserved_.find(connection);
    if (it == reserved_.end()) return;
    auto& list = it->second;
    auto same =
        std::find_if(list.begin(), list.end(), [&](const Reserved& r) { return r.who == who; });
    if (same == list.end() && list.size() < kMaxReservationsPerConnection) return;
    if (same == list.end()) same = list.begin();  // the oldest
    previous = std::move(*same);
    list.erase(same);
    if (list.empty()) reserved_.erase(it);
  }
  try {
    // A seat its user has taken since is no reservation any more: nothing to give back.
    joinable_->cancel(previous.index_key, previous.room, previous.who);
  } catch (const std::exception&) {
    // Redis away: the reservation lapses by itself
  }
}

namespace {
// Sends the replies a message gets when its room is unknown. Never under bus_mutex_: a remote
// member's send queues its frame under that lock.
void answer_not_found(const Client& client, const std::vector<json::object>& not_found) {
  for (const auto& reply : not_found) client.send(protocol::frame(reply));
}
}  // namespace

void ClusterNode::forward(const Client& client, const std::string& room, const Frame& raw,
                          std::vector<json::object> not_found) {
  std::uint64_t started_by = client.outbox ? client.outbox->id() : 0;
  const char* skipped = nullptr;
  {
    std::lock_guard lock(bus_mutex_);
    // A room moving to or from here holds its messages, whatever owner we had cached.
    if (moving_.count(room) || incoming_.count(room)) {
      auto& held = held_[room];
      if (held.size() < 256) held.push_back({client, raw, not_found});
      return;
    }
    auto it = owners_.find(room);
    // While a lookup for the room is under way, later messages queue behind it (order kept).
    if (it != owners_.end() && lookups_.count(room) == 0 && reachable_locked(it->second)) {
      add_input_locked(it->second, room, client.user, raw, gateway_of(client));
      return;
    }
    if (auto u = unknown_.find(room); u != unknown_.end()) {
      if (u->second > mono_now_ms())
        skipped = "unknown";
      else
        unknown_.erase(u);
    }
    if (!skipped && lookups_.count(room) == 0) {
      // A new lookup: within the node's and the connection's budgets.
      auto c = connection_lookups_.find(started_by);
      if (lookups_.size() >= kMaxLookups ||
          (c != connection_lookups_.end() && c->second >= kMaxLookupsPerConnection))
        skipped = "busy";
      else if (started_by != 0)
        ++connection_lookups_[started_by];
    } else {
      started_by = 0;  // it queues behind the lookup under way
    }
    if (skipped)
      metrics_->lookups_skipped.with({skipped}).inc();
    else
      ++lookups_[room];
  }
  if (skipped) return answer_not_found(client, not_found);
  if (!jobs_.post([this, room, client, raw, not_found, started_by] {
        route(client, room, raw, not_found, started_by);
      })) {
    {
      std::lock_guard lock(bus_mutex_);
      end_lookup_locked(room, started_by);
    }
    answer_not_found(client, not_found);
  }
}

bool ClusterNode::reachable_locked(const std::string& node) const {
  return alive_.count(node) != 0 && unreachable_.count(node) == 0;
}

void ClusterNode::end_lookup_locked(const std::string& room, std::uint64_t started_by) {
  if (--lookups_[room] <= 0) lookups_.erase(room);
  if (started_by == 0) return;
  if (auto c = connection_lookups_.find(started_by);
      c != connection_lookups_.end() && --c->second <= 0)
    connection_lookups_.erase(c);
}

void ClusterNode::route(const Client& client, const std::string& room, const Frame& raw,
                        const std::vector<json::object>& not_found, std::uint64_t started_by) {
  std::string node;
  bool orphan = false;  // its owner died (or its inbox has no subscriber): hold the message
  bool absent = false;  // the registry has no owner for it (or had none a moment ago)
  bool here = false;    // it became ours meanwhile (adopted, taken over)
  {
    std::lock_guard lock(bus_mutex_);
    if (auto it = owners_.find(room); it != owners_.end() && reachable_locked(it->second))
      node = it->second;
    else if (auto u = unknown_.find(room); u != unknown_.end() && u->second > mono_now_ms())
      absent = true;  // messages that queued behind a lookup that found nothing
  }
  if (node.empty() && !absent) {
    try {
      if (auto owner = registry_->lookup(room); owner && !owner->node.empty()) {
        std::lock_guard lock(bus_mutex_);
        if (!owner->node_alive || unreachable_.count(owner->node))
          orphan = true;
        else if (owner->node != options_.node_id)
          node = owner->node;
        else
          here = true;
      } else {
        absent = true;
      }
    } catch (const std::exception&) {
    }
  }
  {
    std::lock_guard lock(bus_mutex_);
    end_lookup_locked(room, started_by);
    if (absent && !unknown_.count(room)) {
      if (unknown_.size() >= kMaxUnknownRooms) unknown_.clear();
      unknown_[room] = mono_now_ms() + kUnknownRoomMs;
    }
    if (orphan) {
      // Bounded: past it a message is answered as for an unknown room. The room is taken over
      // once its owner's lease is gone (the sweeper), or the message goes on when the owner
      // answers again (held rooms are retried four times a second).
      if (held_.size() < 1000 || held_.count(room)) {
        auto& held = held_[room];
        if (held.size() < 64) held.push_back({client, raw, not_found});
        return;
      }
      node.clear();
    }
    if (!node.empty()) {
      if (owners_.size() >= kMaxCachedOwners) owners_.clear();
      owners_[room] = node;
      add_input_locked(node, room, client.user, raw, gateway_of(client));
      return;
    }
  }
  // Ours by the registry, but not running: a hand-over whose `adopt` the bus lost.
  if (here && !rooms_.has_room(room) && !moving(room)) adopt_unannounced(room);
  if (here && (rooms_.has_room(room) || moving(room))) return handle_here(client, raw);
  answer_not_found(client, not_found);
}

// A bus message nobody received (the destination's inbox has no subscriber: it died, or it is
// resubscribing): its player messages are routed again instead of being lost.
void ClusterNode::reroute_lost_inputs(const cluster::OutgoingBusMessage& lost) {
  cluster::BusMessage m;
  try {
    m = cluster::decode(lost.bytes);
  } catch (const cluster::BusDecodeError&) {
    return;
  }
  for (auto& input : m.inputs) {
    Client c;
    c.user = input.user;
    if (!input.gateway.empty() && input.gateway != options_.node_id)  // passed on: keep its origin
      c.outbox =
          std::make_shared<RemoteMember>(*this, input.gateway, input.user, next_member_id_++);
    else if (auto conn = directory_.connection(input.user); conn && !conn->remote())
      c.outbox = conn;
    {
      std::lock_guard lock(bus_mutex_);
      ++lookups_[input.room];
    }
    auto raw = make_frame(std::move(input.payload));
    if (!jobs_.post([this, c, room = input.room, raw] { route(c, room, raw, {}); })) {
      std::lock_guard lock(bus_mutex_);
      end_lookup_locked(input.room, 0);
    }
  }
}

}  // namespace roomctl::runtime
