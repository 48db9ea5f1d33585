// Quick join across the cluster: a joinable index per game with an atomic seat reservation.
// Keys (cluster_keys.hpp):
//   joinable:<game>      zset room -> open seats (published free seats less live reservations);
//                        only rooms with an open seat are in it
//   seats:<room>         hash {free, node, epoch} as the owner last published, plus one field
//                        r:<user> = expiry (Redis time, ms) per outstanding reservation
//   reservations:<game>  zset "<room>\n<user>" -> expiry, so that expired reservations give their
//                        seat back (a bounded number per reserve call), never by a scan
// The owner is the authority on seats: it publishes its free seats (fenced on its epoch, like a
// snapshot write) whenever membership changes, naming the users who took their reserved seat.
// A reservation only routes a player to a room; the owner still admits or refuses the join.
// reserve() is one script: of N concurrent reservations for the last seat exactly one wins.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/cluster/cluster_keys.hpp"
#include "server/cluster/ownership.hpp"
#include "server/store/redis_connection.hpp"

namespace roomctl::cluster {

struct Reservation {
  std::string room;
  std::string node;  // the room's owner, where the player's join goes
  std::int64_t epoch = 0;
};

class JoinableIndex {
 public:
  explicit JoinableIndex(store::RedisEndpoint endpoint, Millis reservation_ttl_ms = 10000);

  // The owner's view: `free` seats (0 takes the room out: started, private, full); `joined` are
  // users whose reservation is now a seat. Answers written, or stale when not the owner at epoch.
  OwnerRecord publish(const std::string& game, const std::string& room, const std::string& node,
                      std::int64_t epoch, int free, const std::vector<std::string>& joined = {});
  // A seat in the fullest joinable room of the game, or nothing when none has an open seat.
  // A user who already holds a reservation in the chosen room gets it again.
  std::optional<Reservation> reserve(const std::string& game, const std::string& user);
  // Gives an unused reservation back at once (the join failed or the player went away).
  bool cancel(const std::string& game, const std::string& room, const std::string& user);
  // Open seats as the index sees them (0 when not joinable).
  int open_seats(const std::string& game, const std::string& room);

 private:
  ClusterKeys keys_;
  Millis ttl_ms_;
  std::mutex mutex_;
  store::RedisConnection conn_;
};

}  // namespace roomctl::cluster
