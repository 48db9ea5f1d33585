// What RoomService asks of the cluster (runtime::ClusterNode implements it; single-node servers
// have none). Every call returns at once: the Redis work runs on the cluster's own threads and
// answers later, on one of them, so no event loop waits for Redis.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <vector>

#include "server/games/game.hpp"
#include "server/runtime/client.hpp"

namespace roomctl::runtime {

class ClusterRooms {
 public:
  enum class Claim {
    claimed,     // the id is ours: create the room
    exists,      // another node holds the id (duplicate room id, cluster-wide)
    unavailable  // Redis cannot answer now
  };
  struct QuickJoinSource {
    std::string index_key;
    std::string game_mode;
  };

  virtual ~ClusterRooms() = default;
  // Registers a new room id cluster-wide; `done` runs on a cluster thread.
  virtual void claim(const std::string& room, const std::string& game,
                     std::function<void(Claim)> done) = 0;
  // A game message from `client` for a room this node does not run: it goes to the room's
  // owner, or the client gets `not_found` when no node runs the room.
  virtual void forward(const Client& client, const std::string& room, const Frame& raw,
                       std::vector<boost::json::object> not_found) = 0;
  // Quick join across the cluster: a seat reservation in the fullest joinable room of the
  // sources, answered with quick_join_response.
  virtual void quick_join(const Client& client, std::vector<QuickJoinSource> sources) = 0;
  // A room of ours changed (the joinable index) or ended (its ownership is released).
  virtual void room_changed(const std::string& room, const std::string& index_key,
                            const games::Summary& summary,
                            const std::vector<std::string>& members) = 0;
  virtual void room_removed(const std::string& room) = 0;
  // Restore at start: whether a stored room is this node's to run (its owner record names us;
  // rooms of other nodes stay theirs).
  virtual bool owns_stored_room(const std::string& room) = 0;
  // The room is being handed over to another node: its messages wait (forward() holds them)
  // and go to the new owner once it runs the room.
  virtual bool moving(const std::string& room) = 0;
  // Placement: "" when a new room should run here, else a clearly less loaded node, to which
  // forward_create() sends the create message (that node claims and runs the room).
  virtual std::string place_new_room() = 0;
  virtual void forward_create(const Client& client, const std::string& node,
                              const std::string& room, const Frame& raw) = 0;
};

}  // namespace roomctl::runtime
