// Redis StateStore for clusters (hiredis). One connection behind a mutex; writes are pipelined
// (a room batch is one MULTI/EXEC); keys live under a prefix (default "roomctl:"):
//   <prefix>room:<id>        the room's game and snapshot ("<game>\n<json>")
//   <prefix>rooms            set of stored room ids
//   <prefix>strokes:<id>     the room's stroke stream, a list of "<seq> <data>": a Lua script
//                            trims its tail (UNDO, CLEAR) and appends, in the snapshot's MULTI
//   <prefix>messages:<user>  DM queue (ORIG's key name), entries "<seq> <json>", EXPIRE refreshed
//                            on push; bounded by a Lua script that also keeps
//   <prefix>messages:<user>:bytes  the queue's payload bytes
//   <prefix>dmseq            DM sequence counter
//   <prefix>store_id         marker: tells a reconnect to an empty or different Redis apart
// With a Sentinel group (redis-sentinel://) a DM push is acknowledged only once a replica has
// it (WAIT 1, bounded), so that a failover does not lose it.
// When Redis is unreachable every call throws (callers retry or report) and healthy() is false;
// the connection (store::RedisConnection, shared with the cluster registry) is re-established
// with exponential backoff (100 ms .. 2 s).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "server/store/redis_connection.hpp"
#include "server/store/state_store.hpp"

struct redisReply;

namespace roomctl::store {

// Cluster mode: every room write is a compare-and-set on the room's owner record
// (<prefix>owner:<id> {node, epoch}) in the same script, so that a node that lost a room (paused
// past its lease, partitioned) can never overwrite the new owner's state.
struct WriteFence {
  std::string node;
  // The epoch this node owns the room with; nullopt: not ours (nothing is written).
  std::function<std::optional<std::int64_t>(const std::string& room)> epoch_of;
  // A write refused because another node (or epoch) owns the room now. Called on the writer's
  // thread, outside the store's lock.
  std::function<void(const std::string& room)> on_refused;
  // A write not made because the room has no owner record at all (Redis lost its data): the
  // owner re-asserts it and writes the room again.
  std::function<void(const std::string& room)> on_missing;
};

class RedisStore : public StateStore {
 public:
  explicit RedisStore(RedisEndpoint endpoint);
  ~RedisStore() override;

  PushResult push(const std::string& receiver, const std::string& payload, Millis now, Millis ttl,
                  const QueueLimits& limits) override;
  std::vector<QueuedMessage> pending(const std::string& receiver, Millis now,
                                     const QueueLimits& chunk = {}) override;
  void ack(const std::string& receiver, std::int64_t up_to_seq) override;
  std::size_t queued(const std::string& receiver, Millis now) override;
  std::size_t purge_expired(Millis) override { return 0; }  // Redis expires queues itself
  std::size_t size() override;

  void write_rooms(const RoomBatch& batch) override;
  std::vector<StoredRoom> load_rooms() override;
  // One stored room (a takeover restores it), nullopt when it has no snapshot.
  std::optional<StoredRoom> load_room(const std::string& id);
  // Set before the first write.
  void set_fence(WriteFence fence) { fence_ = std::move(fence); }
  std::string health_problem() override;
  std::uint64_t generation() const override { return generation_.load(); }
  std::string describe() const override;
  std::uint64_t unreplicated_pushes() const override { return unreplicated_.load(); }
  static constexpr Millis kReplicaWaitMs = 500;
  static constexpr Millis kReplicaRetryMs = 1000;

 private:
  void check_identity();
  void wait_for_replica();
  // The rooms whose write was refused, and those not written for want of an owner record
  // (redis_fenced_writes.cpp); under mutex_.
  struct FencedResult {
    std::vector<std::string> refused, missing;
  };
  FencedResult write_rooms_fenced(const RoomBatch& batch);
  static std::optional<StoredRoom> parse_stored(const std::string& id, const redisReply* value,
                                                const redisReply* rows);
  std::vector<QueuedMessage> read_queue(const std::string& key, std::size_t max);

  std::string prefix_;
  std::mutex mutex_;
  RedisConnection conn_;
  std::string store_id_;  // the marker value we expect in <prefix>store_id
  bool connected_before_ = false;
  std::atomic<std::uint64_t> generation_{0};
  std::optional<WriteFence> fence_;
  std::atomic<std::uint64_t> unreplicated_{0};  // DM pushes no replica acknowledged in time
  Millis skip_wait_until_ = 0;                  // under mutex_
};

}  // namespace roomctl::store
