// The rooms runtime as the dispatcher and the server see it: routes game messages to room actors,
// tells rooms about disconnects, reconnects and expired graces, and runs the sweeper's room work.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "server/protocol/envelope.hpp"
#include "server/runtime/client.hpp"
#include "server/runtime/cluster_rooms.hpp"
#include "server/runtime/game_catalogue.hpp"
#include "server/runtime/room.hpp"
#include "server/runtime/room_registry.hpp"
#include "server/util/clock.hpp"

namespace boost::asio {
class io_context;
}
namespace roomctl::config {
struct ServeOptions;
}
namespace roomctl::metrics {
struct ServerMetrics;
}
namespace roomctl::store {
class StateStore;
struct StoredRoom;
}  // namespace roomctl::store

namespace roomctl::runtime {

class UserDirectory;
class Presence;
class Persistence;
class AbuseLimits;

// A filter for the admin room listing.
struct RoomQuery {
  std::string game, phase;
  int min_players = 0;
  Millis idle_over_ms = -1;
  std::string sort = "id";  // id, age, idle, players
  std::size_t limit = 100;
  std::size_t cursor = 0;  // offset into the sorted result
};

class RoomService {
 public:
  // Where a new room runs: an io_context that exactly one thread runs (the room's actor needs
  // no strand then).
  using RoomExecutor = std::function<boost::asio::io_context&()>;
  RoomService(RoomExecutor executor_for_new_room, const config::ServeOptions& options,
              UserDirectory& directory, Presence& presence, metrics::ServerMetrics& metrics,
              Persistence& persistence);
  ~RoomService();

  // A message for `game` from an identified client, or a quick join. In a cluster, a message
  // for a room another node runs is forwarded to it, unless it came from another node already
  // (`forwarded`: this node was named the room's owner, so a room it does not run is not found).
  void handle(const GameEntry& game, Client& client, protocol::Envelope& env, const Frame& raw,
              bool forwarded = false);
  void disconnected(const std::string& user, const std::vector<std::string>& rooms);
  void reconnected(const std::string& user, const std::vector<std::string>& rooms);
  void grace_expired(const std::string& user, const std::vector<std::string>& rooms);
  // Sweeper work: idle and finished-room expiry, gauges. Called on the sweeper tick.
  void sweep(Millis now);
  // Recreates every stored room with its game; members start disconnected within their grace.
  // Returns how many rooms were restored.
  std::size_t restore(store::StateStore& store);
  // Cluster takeover: runs a room another node owned, from its stored snapshot; members online
  // anywhere get their seats back at once (the others within their grace). False when it could
  // not be restored (quarantined) or already runs here.
  bool adopt(const store::StoredRoom& stored);
  // Cluster fencing: another node owns the room now. It stops here without a word to the game
  // (its state is the new owner's); its members are told to reconnect (4004).
  bool abandon(const std::string& id);
  // Cluster hand-over: the room moved to another node, which runs it from its snapshot. It stops
  // here without a word to anyone: its members' frames come from the new owner from now on.
  bool retire(const std::string& id);
  // The ids of the rooms running here.
  std::vector<std::string> room_ids() const;
  // Admin: the rooms matching `q`, as {rooms:[...], total, nextCursor}.
  boost::json::object list_rooms(const RoomQuery& q, Millis now) const;
  // Admin: false when there is no such room; else `done` gets the room's view later.
  bool inspect_room(const std::string& id, bool reveal,
                    std::function<void(boost::json::object)> done);
  bool close_room(const std::string& id, const std::string& reason);
  // Admin: the user leaves every room at once and its connection is closed (4003).
  bool kick_user(const std::string& user);
  // Admin drain: no new rooms and no new members; running games go on.
  void set_admin_drain(bool on);
  bool admin_drain() const;
  // Totals for /admin/stats: rooms by game, players.
  boost::json::object stats() const;

  // Asks every room to hand over its snapshot if it changed (every snapshot with `force`);
  // `done` runs once all have.
  void flush_all(std::function<void()> done, bool force = false);
  // Hand-over: every room stops and writes its final snapshot; `done` once all have. thaw()
  // lets one run on (it could not be moved).
  void freeze_all(std::function<void()> done);
  void thaw(const std::string& id);
  // One room's snapshot (and with `force` its whole stroke stream) written again.
  void flush_room(const std::string& id, bool force);
  // Stored rooms that could not be restored: id -> why. They stay in the store, untouched, for
  // an operator to inspect, and their ids cannot be taken by a new room.
  boost::json::object quarantined() const;

  // Per-user and per-address limits on room creation (abuse.*); none when never set.
  void set_abuse_limits(AbuseLimits* abuse) { abuse_ = abuse; }
  // Cluster mode: room ids, quick join and messages for other nodes' rooms go through it.
  // Set before the server starts.
  void set_cluster(ClusterRooms* cluster) { cluster_ = cluster; }

  // Rooms created so far and not removed (tests, stats).
  std::size_t size() const { return registry_.size(); }
  bool has_room(const std::string& id) const { return registry_.find(id) != nullptr; }

 private:
  std::uint64_t seed();
  std::string generate_id();
  bool may_create(Client& c, const std::string& room_id);
  void create(const GameEntry& game, Client& c, protocol::Envelope& env, const Frame& raw,
              bool forwarded);
  void start_room(const std::string& id, MadeGame made, const Client& c, protocol::Envelope& env,
                  const Frame& raw);
  void quick_join(Client& c, const QuickJoin& q);
  bool refuse_new_member(Client& c, const std::string& room_id);
  void post_message(Room& room, const std::string& user, protocol::Envelope& env, const Frame& raw);
  void post_to_rooms(const std::string& user, const std::vector<std::string>& rooms,
                     games::Event::Kind kind);
  bool is_quarantined(const std::string& id) const;
  bool restore_one(const store::StoredRoom& stored, Millis now,
                   std::vector<std::string>* members_out = nullptr);

  RoomExecutor executor_for_new_room_;
  const config::ServeOptions& options_;
  UserDirectory& directory_;
  metrics::ServerMetrics& metrics_;
  RoomRegistry registry_;
  RoomDeps deps_;
  GameData data_;
  AbuseLimits* abuse_ = nullptr;
  ClusterRooms* cluster_ = nullptr;
  std::atomic<bool> over_watermark_{false};
  std::atomic<bool> admin_drain_{false};  // POST /admin/drain until /admin/resume
  std::set<std::pair<std::string, std::string>> seen_phases_;  // sweeper only
  mutable std::mutex quarantine_mutex_;
  std::map<std::string, std::string> quarantine_;  // room id -> why it could not be restored
  // Rooms are created on the creating connection's shard, so several threads draw at once.
  std::mutex id_random_mutex_;
  std::mt19937_64 id_random_{std::random_device{}()};  // room ids and game seeds
};

}  // namespace roomctl::runtime
