// ClusterNode: lifecycle, room ownership and forwarding, and the bus (collecting, publishing,
// receiving). The roster and the control messages are in cluster_roster.cpp.
#include "server/runtime/cluster_node.hpp"

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
constexpr std::size_t kMaxFollowedRooms = 100'000;
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
        jobs_.post([this, mine] {
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
        owned_[room] = {r.epoch, game};
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
    owned_[room] = {owner->epoch, owner->game};
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
  jobs_.post([this, room, epoch] { registry_->release(room, epoch); });
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
  bool posted = jobs_.post([this, sources = std::move(sources), who, answer] {
    for (const auto& s : sources) {
      std::optional<cluster::Reservation> r;
      try {
        r = joinable_->reserve(s.index_key, who);
      } catch (const std::exception&) {
        break;  // Redis away: no room to offer
      }
      if (!r) continue;
      if (r->node != options_.node_id) {
        std::lock_guard lock(bus_mutex_);
        if (owners_.size() >= kMaxCachedOwners) owners_.clear();
        owners_[r->room] = r->node;
      }
      return answer(r, s.game_mode);
    }
    answer(std::nullopt, "");
  });
  if (!posted) answer(std::nullopt, "");
}

void ClusterNode::forward(const Client& client, const std::string& room, const Frame& raw,
                          std::vector<json::object> not_found) {
  {
    std::lock_guard lock(bus_mutex_);
    auto it = owners_.find(room);
    // While a lookup for the room is under way, later messages queue behind it (order kept).
    if (it != owners_.end() && lookups_.count(room) == 0 && reachable_locked(it->second)) {
      add_input_locked(it->second, room, client.user, raw);
      return;
    }
    if (moving_.count(room) || incoming_.count(room)) {
      auto& held = held_[room];
      if (held.size() < 256) held.push_back({client, raw, not_found});
      return;
    }
    ++lookups_[room];
  }
  if (!jobs_.post([this, room, client, raw, not_found] { route(client, room, raw, not_found); })) {
    std::lock_guard lock(bus_mutex_);
    if (--lookups_[room] == 0) lookups_.erase(room);
    for (const auto& reply : not_found) client.send(protocol::frame(reply));
  }
}

bool ClusterNode::reachable_locked(const std::string& node) const {
  return alive_.count(node) != 0 && unreachable_.count(node) == 0;
}

void ClusterNode::route(const Client& client, const std::string& room, const Frame& raw,
                        const std::vector<json::object>& not_found) {
  std::string node;
  bool orphan = false;  // its owner died (or its inbox has no subscriber): hold the message
  {
    std::lock_guard lock(bus_mutex_);
    if (auto it = owners_.find(room); it != owners_.end() && reachable_locked(it->second))
      node = it->second;
  }
  if (node.empty()) {
    try {
      if (auto owner = registry_->lookup(room); owner && !owner->node.empty()) {
        std::lock_guard lock(bus_mutex_);
        if (!owner->node_alive || unreachable_.count(owner->node))
          orphan = true;
        else if (owner->node != options_.node_id)
          node = owner->node;
      }
    } catch (const std::exception&) {
    }
  }
  std::lock_guard lock(bus_mutex_);
  if (--lookups_[room] == 0) lookups_.erase(room);
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
  if (node.empty()) {
    for (const auto& reply : not_found) client.send(protocol::frame(reply));
    return;
  }
  if (owners_.size() >= kMaxCachedOwners) owners_.clear();
  owners_[room] = node;
  add_input_locked(node, room, client.user, raw);
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
    if (auto conn = directory_.connection(input.user); conn && !conn->remote()) c.outbox = conn;
    {
      std::lock_guard lock(bus_mutex_);
      ++lookups_[input.room];
    }
    auto raw = make_frame(std::move(input.payload));
    if (!jobs_.post([this, c, room = input.room, raw] { route(c, room, raw, {}); })) {
      std::lock_guard lock(bus_mutex_);
      if (--lookups_[input.room] == 0) lookups_.erase(input.room);
    }
  }
}

// --- sending ------------------------------------------------------------------------------

void ClusterNode::add_input_locked(const std::string& node, const std::string& room,
                                   const std::string& user, const Frame& raw) {
  batcher_->add_input(node, {room, user, std::string(*raw)});
  metrics_->forwarded_inputs.inc();
  if (!pending_) {
    pending_ = true;
    bus_wake_.notify_one();
  }
}

void ClusterNode::queue_input(const std::string& node, const std::string& room,
                              const std::string& user, const Frame& raw) {
  std::lock_guard lock(bus_mutex_);
  add_input_locked(node, room, user, raw);
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
  // Controls first: a user's arrival precedes its messages sent in the same tick.
  for (const auto& c : m.controls) on_control(m.from, c);
  for (auto& i : m.inputs) on_input(m.from, i);
  for (auto& f : m.frames) on_frame(m.from, f);
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
    f.first = from;
    for (const auto& u : frame.users) f.second.insert(u);
    if (seen.verdict == cluster::GapDetector::Verdict::gap) {
      metrics_->gaps.inc(static_cast<double>(seen.missed));
      log::info("cluster_bus_gap",
                {{"room", frame.room}, {"owner", from}, {"missed", std::to_string(seen.missed)}});
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
  if (!input.room.empty() && !rooms_.has_room(input.room)) {
    std::lock_guard lock(bus_mutex_);
    if (auto m = moved_.find(input.room); m != moved_.end()) {
      // Handed over from here: the message goes on to the new owner, the gateway learns it.
      add_input_locked(m->second, input.room, input.user, make_frame(std::move(input.payload)));
      batcher_->add_control(
          from,
          {"", "owner", json::serialize(json::object{{"room", input.room}, {"node", m->second}})});
      return;
    }
    if (!incoming_.count(input.room) && !moving_.count(input.room))
      batcher_->add_control(from,
                            {"", "not_owner", json::serialize(json::object{{"room", input.room}})});
  }
  // The sender sits on `from`: make sure this node knows where it is (the roster's message may
  // have been lost), then handle the message as if it had arrived here.
  auto conn = directory_.connection(input.user);
  auto* member = dynamic_cast<RemoteMember*>(conn.get());
  if (!conn || (member && member->node() != from)) bind_remote(input.user, from, -1, -1, 0);
  Client c;
  conn = directory_.connection(input.user);
  member = dynamic_cast<RemoteMember*>(conn.get());
  if (member && member->node() == from)
    c.outbox = conn;
  else  // the user is connected here too: the answer goes where the message came from
    c.outbox = std::make_shared<RemoteMember>(*this, from, input.user, next_member_id_++);
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
  std::set<std::string> owners;
  for (const auto& [room, f] : followed_) owners.insert(f.first);
  for (const auto& owner : owners) resync_followed(owner);
}

void ClusterNode::resync_followed(const std::string& owner) {
  for (const auto& [room, f] : followed_)
    if (f.first == owner)
      queue_control(owner, "resync",
                    {{"room", room}, {"users", json::array(f.second.begin(), f.second.end())}});
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
    for (const auto& [room, msgs] : held_) retry.push_back(room);
    // Direct messages whose ack never came go to the queue (at least once, maybe twice).
    Millis now = wall_now_ms();
    for (auto it = dms_.begin(); it != dms_.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      auto done = std::move(it->second.done);
      it = dms_.erase(it);
      jobs_.post([done] { done(false); });
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
  for (const auto& room : retry) jobs_.post([this, room] { take_over(room); });
}

}  // namespace roomctl::runtime
