// RedisStore's room writes in cluster mode: one script per room checks the room's owner record
// against this node and epoch and only then writes the snapshot and the stroke changes (or
// erases the room), all inside the batch's MULTI/EXEC. A refused room is reported to the fence's
// owner (the cluster stops the room here at once); the rest of the batch is written.
#include <hiredis/hiredis.h>

#include <limits>
#include <map>

#include "server/store/redis_store.hpp"
#include "server/store/redis_stroke_lua.hpp"

namespace roomctl::store {

namespace {
// KEYS: owner record, snapshot, the rooms set, the stroke list.
// ARGV: node, epoch, op ("p" snapshot and strokes, "s" strokes only, "e" erase), room id,
//       snapshot, keep ("-": no stroke change), rows...
// An erase is allowed when the room is ours at any epoch or has no owner any more (released
// first): it must never delete the state of a room another node took over.
const std::string kFencedWriteScript = std::string(kStrokesLua) + R"(
local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch')
local node, epoch = cur[1] or '', tonumber(cur[2] or '0')
if ARGV[3] == 'e' then
  if node ~= ARGV[1] and node ~= '' then return 'stale' end
  redis.call('DEL', KEYS[2], KEYS[4])
  redis.call('SREM', KEYS[3], ARGV[4])
  return 'ok'
end
if node ~= ARGV[1] or epoch ~= tonumber(ARGV[2]) then return 'stale' end
if ARGV[3] == 'p' then
  redis.call('SET', KEYS[2], ARGV[5])
  redis.call('SADD', KEYS[3], ARGV[4])
end
if ARGV[6] ~= '-' then write_strokes(KEYS[4], ARGV[6], ARGV, 7) end
return 'ok'
)";
}  // namespace

std::vector<std::string> RedisStore::write_rooms_fenced(const RoomBatch& batch) {
  struct Op {
    const StoredRoom* put = nullptr;
    const StrokeWrite* strokes = nullptr;
    bool erase = false;
  };
  std::map<std::string, Op> ops;
  for (const auto& r : batch.put) ops[r.id].put = &r;
  for (const auto& w : batch.strokes) ops[w.room_id].strokes = &w;
  for (const auto& id : batch.erase) ops[id].erase = true;

  std::vector<RedisConnection::Args> cmds{{"MULTI"}};
  std::vector<std::string> rooms;  // in the order of the scripts
  std::vector<std::string> refused;
  for (const auto& [id, op] : ops) {
    std::string epoch;
    if (!op.erase) {
      auto e = fence_->epoch_of(id);
      if (!e) continue;  // not ours (any more): nothing to write
      epoch = std::to_string(*e);
    }
    std::string keep = "-";
    if (op.strokes) {
      auto k = op.strokes->changes.keep_rows_through();
      keep = k == std::numeric_limits<std::int64_t>::max() ? "" : std::to_string(k);
    }
    RedisConnection::Args args{"EVAL",
                               kFencedWriteScript,
                               "4",
                               prefix_ + "owner:" + id,
                               prefix_ + "room:" + id,
                               prefix_ + "rooms",
                               prefix_ + "strokes:" + id,
                               fence_->node,
                               epoch,
                               op.erase ? "e"
                               : op.put ? "p"
                                        : "s",
                               id,
                               op.put ? op.put->game + "\n" + op.put->snapshot : std::string(),
                               keep};
    if (op.strokes && !op.erase)
      for (const auto& row : op.strokes->changes.append)
        args.push_back(std::to_string(row.seq) + " " + row.data);
    cmds.push_back(std::move(args));
    rooms.push_back(id);
  }
  cmds.push_back({"EXEC"});
  if (!rooms.empty()) {
    std::vector<std::string> errors;
    auto replies = conn_.pipeline(cmds, &errors);
    for (const auto& e : errors)
      if (!e.empty()) throw RedisError(e);
    const redisReply* exec = replies.empty() ? nullptr : replies.back().get();
    for (std::size_t k = 0; k < reply_size(exec) && k < rooms.size(); ++k) {
      const redisReply* e = reply_element(exec, k);
      if (e && e->type == REDIS_REPLY_ERROR) throw RedisError("redis error: " + reply_string(e));
      // A refused erase needs nothing: the room is gone here, and its new owner keeps it.
      if (reply_string(e) == "stale" && !ops[rooms[k]].erase) refused.push_back(rooms[k]);
    }
  }
  return refused;
}

}  // namespace roomctl::store
