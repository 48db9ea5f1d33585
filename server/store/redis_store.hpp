// Redis StateStore for clusters (hiredis). One connection behind a mutex; writes are pipelined
// (a room batch is one MULTI/EXEC); keys live under a prefix (default "roomctl:"):
//   <prefix>room:<id>        the room's game and snapshot ("<game>\n<json>")
//   <prefix>rooms            set of stored room ids
//   <prefix>messages:<user>  DM queue (ORIG's key name), entries "<seq> <json>", EXPIRE refreshed
//   on push <prefix>dmseq            DM sequence counter
// When Redis is unreachable every call throws (callers retry or report) and healthy() is false;
// the connection is re-established with exponential backoff (100 ms .. 2 s).
#pragma once

#include <mutex>
#include <string>

#include "server/store/state_store.hpp"

struct redisContext;
struct redisReply;

namespace roomctl::store {

class RedisStore : public StateStore {
 public:
  RedisStore(std::string host, int port, int db, std::string prefix);
  ~RedisStore() override;

  void push(const std::string& receiver, const std::string& payload, Millis now,
            Millis ttl) override;
  std::vector<QueuedMessage> pending(const std::string& receiver, Millis now) override;
  void ack(const std::string& receiver, std::int64_t up_to_seq) override;
  std::size_t purge_expired(Millis) override { return 0; }  // Redis expires queues itself
  std::size_t size() override;

  void write_rooms(const RoomBatch& batch) override;
  std::vector<StoredRoom> load_rooms() override;
  bool healthy() override;
  std::string describe() const override;

 private:
  void ensure_connected();  // throws when down and the backoff forbids a new attempt yet
  void disconnect();
  // Runs a command; throws on I/O error or an error reply. The caller owns the reply.
  redisReply* command(const std::vector<std::string>& args);
  void append(const std::vector<std::string>& args);
  redisReply* next_reply();
  std::vector<QueuedMessage> read_queue(const std::string& key);

  std::string host_, prefix_;
  int port_, db_;
  std::mutex mutex_;
  redisContext* ctx_ = nullptr;
  Millis next_attempt_ = 0;
  Millis backoff_ = 100;
};

}  // namespace roomctl::store
