// The cluster's room registry in Redis: who owns each room, with a fencing epoch, and the
// fenced snapshot writes. Keys (cluster_keys.hpp):
//   owner:<room>       hash {node, epoch, game}; node "" once released (the epoch is kept, so
//                      that epochs never repeat; the record then expires after released_ttl)
//   node_rooms:<node>  set of the rooms a node owns: the worklist when that node dies
//   room:<room>, rooms the snapshot ("<game>\n<json>") and the set of stored rooms, exactly as
//                      store::RedisStore keeps them
// Every operation is one Lua script (EVALSHA, EVAL on NOSCRIPT), so each check and its write are
// atomic: of two nodes claiming one id at once exactly one wins, and a snapshot write from an
// owner whose epoch is no longer current is refused (Outcome::stale) instead of overwriting the
// new owner's state. Scripts build some key names from the prefix (the owner's lease), so the
// registry needs one Redis (or Sentinel), not Redis Cluster.
//
// Thread-safe (one connection behind a mutex). Redis failures throw store::RedisError.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/cluster/cluster_keys.hpp"
#include "server/cluster/ownership.hpp"
#include "server/store/redis_connection.hpp"

namespace roomctl::cluster {

struct RegistryOptions {
  // A takeover of a room whose owner's lease is missing waits until the lease has been seen
  // missing for this long: after a Redis outage every lease is missing at once, and their nodes
  // need a refresh interval plus a reconnect backoff to re-assert them.
  Millis suspect_grace_ms = 3000;
  Millis released_ttl_ms = 24 * 3600 * 1000;  // how long a released record keeps its epoch
};

struct RoomOwner {
  std::string node;  // empty: released
  std::int64_t epoch = 0;
  std::string game;
  bool node_alive = false;  // the owner's lease exists
};

struct FencedSnapshot {
  std::string room;
  std::int64_t epoch = 0;
  std::string game;
  std::string snapshot;
};

class RoomRegistry {
 public:
  enum class ClaimMode {
    create,    // a new room: refused (exists) when any record names an owner, alive or not
    takeover,  // failover: refused while the owner's lease lives (taken) or during the grace;
               // a room without an owner record is not_found (Redis may have lost the record
               // and its live owner re-asserts it: a takeover must not race that)
  };

  RoomRegistry(store::RedisEndpoint endpoint, std::string node_id, RegistryOptions options = {});

  const std::string& node_id() const { return node_id_; }

  // `grace_ms` (takeover): the suspect grace for this claim; -1: the registry's. A claimant that
  // held its own lease without a gap for a while knows Redis was up, so a missing lease is a
  // dead owner and not an outage: it may pass 0 (the note is then still written first, so two
  // claims are needed, and an owner that refreshed in between wins).
  OwnerRecord claim(const std::string& room, const std::string& game, ClaimMode mode,
                    Millis grace_ms = -1);
  // Moves a room we own at `epoch` to `target` (which must hold a lease), epoch + 1.
  OwnerRecord hand_over(const std::string& room, std::int64_t epoch, const std::string& target);
  // The room is over: no owner, snapshot and joinable entry removed. Fenced on `epoch`.
  OwnerRecord release(const std::string& room, std::int64_t epoch);
  // After Redis came back empty: recreate our record with the same epoch unless another node
  // has claimed the room meanwhile (stale).
  OwnerRecord reassert(const std::string& room, std::int64_t epoch, const std::string& game);
  // The same for every room a node runs, in one round trip (LeaseKeeper's on_reasserted);
  // one answer per room, in order. Only the snapshot fields room, epoch and game are read.
  std::vector<OwnerRecord> reassert_all(const std::vector<FencedSnapshot>& rooms);
  std::optional<RoomOwner> lookup(const std::string& room);
  std::vector<std::string> rooms_of(const std::string& node);

  // Compare-and-set on the epoch and the snapshot write in one script, per room; one round trip
  // for the batch (up to 128 rooms per script call); one answer per entry (written or stale).
  OwnerRecord write_snapshot(const FencedSnapshot& snapshot);
  std::vector<OwnerRecord> write_snapshots(const std::vector<FencedSnapshot>& batch);

 private:
  ClusterKeys keys_;
  std::string node_id_;
  RegistryOptions options_;
  std::mutex mutex_;
  store::RedisConnection conn_;
};

}  // namespace roomctl::cluster
