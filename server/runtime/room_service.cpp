// Rooms runtime: one create path (limits, duplicate and quarantined ids, generated ids), quick
// join through the joinable index, one path to a room's actor, presence-driven events, the
// sweeper's room work, restore and flush. Games are known only through the catalogue.
#include "server/runtime/room_service.hpp"

#include <boost/json/serialize.hpp>

#include "server/config/serve_options.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/protocol/replies.hpp"
#include "server/protocol/stored_json.hpp"
#include "server/runtime/abuse_limits.hpp"
#include "server/runtime/persistence.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/store/state_store.hpp"
#include "server/util/log.hpp"
#include "server/util/process_stats.hpp"

namespace roomctl::runtime {

namespace json = boost::json;

RoomService::RoomService(RoomExecutor executor_for_new_room, const config::ServeOptions& o,
                         UserDirectory& directory, Presence& presence,
                         metrics::ServerMetrics& metrics, Persistence& persistence)
    : executor_for_new_room_(std::move(executor_for_new_room)),
      options_(o),
      directory_(directory),
      metrics_(metrics),
      deps_{directory,
            presence,
            metrics,
            registry_,
            o.store_flush_interval_ms,
            o.store_stroke_flush_interval_ms,
            [&persistence](const std::string& id, std::string game, std::string snapshot,
                           StreamChanges strokes) {
              persistence.save({id, std::move(game), std::move(snapshot), {}}, std::move(strokes));
            },
            [this](const std::string& id, const std::string& index_key, const games::Summary& sum,
                   const std::vector<std::string>& members) {
              if (cluster_) cluster_->room_changed(id, index_key, sum, members);
            },
            [this, &persistence](const std::string& id, const std::string& reason) {
              log::debug("room_removed", {{"room", id}, {"reason", reason}});
              if (abuse_) abuse_->room_removed(id);
              persistence.erase(id);  // removed rooms leave the store too
              if (cluster_) cluster_->room_removed(id);
            }},
      data_(o) {
  // Every game's labelled series exist from the start, at 0 (rate() before the first event).
  for (const auto& g : game_catalogue()) {
    std::string name(g.name);
    metrics.messages_in.with({name});
    metrics.frames_queued.with({name});
    metrics.games_started.with({name});
    for (auto outcome : g.outcomes) metrics.games_finished.with({name, std::string(outcome)});
  }
}

RoomService::~RoomService() = default;

std::uint64_t RoomService::seed() {
  std::lock_guard lock(id_random_mutex_);
  return id_random_();
}

std::string RoomService::generate_id() {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id;
  do {
    id.clear();
    std::lock_guard lock(id_random_mutex_);
    for (int i = 0; i < 12; ++i) id += alphabet[id_random_() % 36];
  } while (registry_.find(id) || is_quarantined(id));
  return id;
}

bool RoomService::is_quarantined(const std::string& id) const {
  std::lock_guard lock(quarantine_mutex_);
  return quarantine_.count(id) != 0;
}

// Limits on room creation; on refusal the reply is sent and false returned.
bool RoomService::may_create(Client& c, const std::string& room_id) {
  const char* limit = nullptr;
  std::string text;
  if (is_quarantined(room_id)) {
    limit = "quarantined";
    text = "A room with this id already exists";
  } else if (admin_drain_.load()) {
    limit = "draining";
    text = "The server is draining; try another server";
  } else if (static_cast<std::int64_t>(registry_.size()) >= options_.limits.max_rooms) {
    limit = "max_rooms";
    text = "The server has too many rooms; try again later";
  } else if (over_watermark_.load()) {
    limit = "memory_watermark";
    text = "The server is low on memory; try again later";
  } else if (abuse_ && (limit = abuse_->room_create(c.user, c.address, wall_now_ms()))) {
    text = std::string(limit) == "rooms_held"
               ? "You have too many rooms open; close one first"
               : "You are creating rooms too fast; try again in a minute";
  }
  if (!limit) return true;
  metrics_.refusals.with({limit}).inc();
  c.send(protocol::frame({{"type", "create_room_response"},
                          {"status", false},
                          {"message", text},
                          {"roomId", room_id},
                          {"code", limit}}));
  return false;
}

void RoomService::create(const GameEntry& game, Client& c, protocol::Envelope& env,
                         const Frame& raw, bool forwarded) {
  std::string id = env.room_id.empty() ? generate_id() : env.room_id;
  auto refuse = [&](const std::string& message) {
    c.send(protocol::frame({{"type", "create_room_response"},
                            {"status", false},
                            {"message", message},
                            {"roomId", id}}));
  };
  std::string error;
  auto made = game.create(data_, env, id, seed(), error);
  if (!made.game) return refuse(error);
  if (!may_create(c, id)) return;
  // FIX: ORIG silently replaces an existing room with the same id.
  if (registry_.find(id)) return refuse("A room with this id already exists");
  if (!cluster_) return start_room(id, std::move(made), c, env, raw);
  // Placement: a clearly less loaded node runs the new room (never again from there).
  if (!forwarded)
    if (auto node = cluster_->place_new_room(); !node.empty())
      return cluster_->forward_create(c, node, env.room_id, raw);
  // The id must be free cluster-wide: the room starts once its claim in Redis is won.
  auto pending =
      std::make_shared<std::pair<MadeGame, protocol::Envelope>>(std::move(made), std::move(env));
  cluster_->claim(
      id, std::string(game.name), [this, id, pending, client = c, raw](ClusterRooms::Claim claim) {
        if (claim == ClusterRooms::Claim::claimed)
          return start_room(id, std::move(pending->first), client, pending->second, raw);
        client.send(
            protocol::frame({{"type", "create_room_response"},
                             {"status", false},
                             {"message", claim == ClusterRooms::Claim::exists
                                             ? "A room with this id already exists"
                                             : "Rooms cannot be created right now; try again"},
                             {"roomId", id}}));
      });
}

void RoomService::start_room(const std::string& id, MadeGame made, const Client& c,
                             protocol::Envelope& env, const Frame& raw) {
  auto room = std::make_shared<Room>(executor_for_new_room_(), id, std::move(made.index_key),
                                     std::move(made.game), deps_, wall_now_ms());
  if (!registry_.insert(id, room)) {
    c.send(protocol::frame({{"type", "create_room_response"},
                            {"status", false},
                            {"message", "A room with this id already exists"},
                            {"roomId", id}}));
    if (cluster_) cluster_->room_removed(id);
    return;
  }
  if (abuse_) abuse_->room_created(c.user, id);
  post_message(*room, c.user, env, raw);
}

void RoomService::quick_join(Client& c, const QuickJoin& q) {
  if (cluster_ && !admin_drain_.load()) {
    std::vector<ClusterRooms::QuickJoinSource> sources;
    for (const auto& s : q.sources)
      sources.push_back({std::string(s.index_key), std::string(s.game_mode)});
    return cluster_->quick_join(c, std::move(sources));
  }
  std::vector<std::string_view> keys;
  for (const auto& source : q.sources) keys.push_back(source.index_key);
  auto picked = admin_drain_.load() ? std::nullopt : registry_.pick_joinable(keys);
  if (!picked) {
    c.send(protocol::frame(
        {{"type", "quick_join_response"}, {"status", false}, {"message", "No rooms available"}}));
    return;
  }
  json::object o{{"type", "quick_join_response"}, {"status", true}, {"roomId", picked->first}};
  if (auto mode = q.sources[picked->second].game_mode; !mode.empty()) o["gameMode"] = mode;
  c.send(protocol::frame(o));
}

// While draining, only members already seated may (re)join.
bool RoomService::refuse_new_member(Client& c, const std::string& room_id) {
  if (!admin_drain_.load()) return false;
  auto rooms = directory_.rooms(c.user);
  if (std::find(rooms.begin(), rooms.end(), room_id) != rooms.end()) return false;
  metrics_.refusals.with({"draining"}).inc();
  c.send(protocol::frame({{"type", "join_room_response"},
                          {"status", false},
                          {"message", "The server is draining; try another server"},
                          {"roomId", room_id}}));
  return true;
}

void RoomService::post_message(Room& room, const std::string& user, protocol::Envelope& env,
                               const Frame& raw) {
  games::Event e;
  e.kind = games::Event::Kind::message;
  e.user = user;
  e.type = env.type;
  e.raw = raw;  // drawing messages are relayed byte for byte
  e.body = std::move(env.body);
  room.post(std::move(e));
}

void RoomService::handle(const GameEntry& game, Client& client, protocol::Envelope& env,
                         const Frame& raw, bool forwarded) {
  if (env.type == game.create_type) return create(game, client, env, raw, forwarded);
  if (const QuickJoin* q = game.quick_join(env.type)) return quick_join(client, *q);
  auto room = env.room_id.empty() ? nullptr : registry_.find(env.room_id);
  // In a cluster: another node's room, or one moving between nodes (its messages wait).
  if (cluster_ && !env.room_id.empty() && ((!room && !forwarded) || cluster_->moving(env.room_id)))
    return cluster_->forward(client, env.room_id, raw, game.not_found(env));
  if (!room || room->info().game != game.name) {
    for (const auto& reply : game.not_found(env)) client.send(protocol::frame(reply));
    return;
  }
  if (env.type == game.join_type && refuse_new_member(client, env.room_id)) return;
  post_message(*room, client.user, env, raw);
}

void RoomService::post_to_rooms(const std::string& user, const std::vector<std::string>& rooms,
                                games::Event::Kind kind) {
  for (const auto& id : rooms) {
    if (auto room = registry_.find(id)) {
      games::Event e;
      e.kind = kind;
      e.user = user;
      room->post(std::move(e));
    }
  }
}

void RoomService::disconnected(const std::string& user, const std::vector<std::string>& rooms) {
  post_to_rooms(user, rooms, games::Event::Kind::disconnected);
}
void RoomService::reconnected(const std::string& user, const std::vector<std::string>& rooms) {
  post_to_rooms(user, rooms, games::Event::Kind::connected);
}
void RoomService::grace_expired(const std::string& user, const std::vector<std::string>& rooms) {
  post_to_rooms(user, rooms, games::Event::Kind::leave);
}

void RoomService::sweep(Millis now) {
  if (options_.limits.memory_high_watermark_bytes > 0)
    over_watermark_ = process_rss_bytes() > options_.limits.memory_high_watermark_bytes;
  std::map<std::pair<std::string, std::string>, int> by_phase;
  double players = 0;
  for (auto& room : registry_.all()) {
    auto info = room->info();
    if (info.removed) continue;
    by_phase[{info.game, info.summary.phase}]++;
    players += info.summary.players;
    if (now - info.last_activity > options_.room_idle_timeout_ms)
      room->close("idle");
    else if (info.finished_at != 0 && !info.summary.running &&
             now - info.finished_at > options_.room_finished_ttl_ms)
      room->close("finished");
  }
  for (auto& key : seen_phases_) metrics_.rooms.with({key.first, key.second}).set(0);
  for (auto& [key, n] : by_phase) {
    seen_phases_.insert(key);
    metrics_.rooms.with({key.first, key.second}).set(n);
  }
  metrics_.players.set(players);
}

std::size_t RoomService::restore(store::StateStore& store) {
  Millis now = wall_now_ms();
  std::size_t restored = 0;
  for (auto& stored : store.load_rooms()) {
    // In a cluster the store holds every node's rooms: only ours are restored here.
    if (cluster_ && !cluster_->owns_stored_room(stored.id)) continue;
    if (restore_one(stored, now)) ++restored;
  }
  return restored;
}

bool RoomService::adopt(const store::StoredRoom& stored) {
  std::vector<std::string> members;
  if (!restore_one(stored, wall_now_ms(), &members)) return false;
  // Members still online (on this node or another) take their seats back at once.
  for (const auto& m : members)
    if (directory_.online(m)) post_to_rooms(m, {stored.id}, games::Event::Kind::connected);
  return true;
}

bool RoomService::restore_one(const store::StoredRoom& stored, Millis now,
                              std::vector<std::string>* members_out) {
  try {
    // Lenient: a snapshot written before the UTF-8 rules may hold a name cut mid-letter.
    auto snapshot = protocol::parse_stored_json(stored.snapshot).as_object();
    const GameEntry* game = game_named(stored.game);
    if (!game) throw std::runtime_error("unknown game \"" + stored.game + "\"");
    auto made = game->restore(data_, snapshot, stored.strokes);
    auto status =
        made.game->summary().running ? games::UserStatus::in_game : games::UserStatus::in_room;
    auto members = made.game->members();
    auto room = std::make_shared<Room>(executor_for_new_room_(), stored.id,
                                       std::move(made.index_key), std::move(made.game), deps_, now);
    if (!registry_.insert(stored.id, room)) return false;
    if (members_out) *members_out = members;
    for (const auto& m : members) directory_.restore_offline(m, stored.id, status, now);
    games::Event e;
    e.kind = games::Event::Kind::restored;
    room->post(std::move(e));
    room->start();
    return true;
  } catch (const std::exception& e) {
    // Never dropped: the stored row stays as it is for an operator to inspect (the admin
    // stats list it), and its id stays taken so that no new room overwrites it.
    metrics_.store_failures.with({"restore"}).inc();
    log::error("room_restore_failed",
               {{"room", stored.id}, {"game", stored.game}, {"error", e.what()}});
    std::lock_guard lock(quarantine_mutex_);
    quarantine_[stored.id] = e.what();
    metrics_.rooms_quarantined.set(static_cast<double>(quarantine_.size()));
    return false;
  }
}

json::object RoomService::quarantined() const {
  std::lock_guard lock(quarantine_mutex_);
  json::object o;
  for (const auto& [id, why] : quarantine_) o[id] = why;
  return o;
}

void RoomService::freeze_all(std::function<void()> done) {
  auto rooms = registry_.all();
  if (rooms.empty()) return done();
  auto left = std::make_shared<std::atomic<std::size_t>>(rooms.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& r : rooms)
    r->freeze([left, shared_done] {
      if (left->fetch_sub(1) == 1) (*shared_done)();
    });
}

void RoomService::thaw(const std::string& id) {
  if (auto room = registry_.find(id)) room->thaw();
}

void RoomService::flush_room(const std::string& id, bool force) {
  if (auto room = registry_.find(id)) room->flush([] {}, force);
}

void RoomService::flush_all(std::function<void()> done, bool force) {
  auto rooms = registry_.all();
  if (rooms.empty()) return done();
  auto left = std::make_shared<std::atomic<std::size_t>>(rooms.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& r : rooms)
    r->flush(
        [left, shared_done] {
          if (left->fetch_sub(1) == 1) (*shared_done)();
        },
        force);
}

}  // namespace roomctl::runtime
