// RoomRegistry: the ownership scripts. Each returns {outcome, node, epoch}. Times come from
// Redis's own clock (TIME), so that nodes with skewed clocks agree on the suspect grace.
#include "server/cluster/room_registry.hpp"

namespace roomctl::cluster {

namespace {
using store::RedisScript;

// KEYS: owner:<room>, node_rooms:<me>. ARGV: prefix, room, me, game, mode, grace_ms.
const RedisScript kClaim(R"(
local p, room, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', p .. 'node:' .. me) == 0 then return {'no_lease', '', 0} end
local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch')
local node, epoch = cur[1] or '', tonumber(cur[2] or '0')
-- Only a room with an owner can be taken over: a missing record is a room that does not exist,
-- or one that Redis lost and whose owner is about to re-assert it.
if node == '' and ARGV[5] ~= 'create' then return {'not_found', '', epoch} end
if node ~= '' then
  if node == me then return {'owned', node, epoch} end
  if ARGV[5] == 'create' then return {'exists', node, epoch} end
  if redis.call('EXISTS', p .. 'node:' .. node) == 1 then return {'taken', node, epoch} end
  -- The owner's lease is gone. Right after a Redis outage every lease is gone at once, so the
  -- first claimant only notes the time; the owner's next refresh deletes the note.
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local sk = p .. 'suspect:' .. node
  local since = tonumber(redis.call('GET', sk) or '-1')
  if since < 0 then
    redis.call('SET', sk, now, 'PX', math.max(tonumber(ARGV[6]) * 10, 10000))
    return {'suspect', node, epoch}
  end
  if now - since < tonumber(ARGV[6]) then return {'suspect', node, epoch} end
  redis.call('SREM', p .. 'node_rooms:' .. node, room)
end
epoch = epoch + 1
redis.call('HSET', KEYS[1], 'node', me, 'epoch', epoch, 'game', ARGV[4])
redis.call('PERSIST', KEYS[1])
redis.call('SADD', KEYS[2], room)
return {'claimed', me, epoch}
)");

// KEYS: owner:<room>, node_rooms:<me>, node_rooms:<target>. ARGV: prefix, room, me, epoch, target.
const RedisScript kHandOver(std::string(kFenceLua) + R"(
local node, epoch, ours = fence(KEYS[1], ARGV[3], ARGV[4])
if not ours then return {'stale', node, epoch} end
if redis.call('EXISTS', ARGV[1] .. 'node:' .. ARGV[5]) == 0 then return {'no_target', node, epoch} end
epoch = epoch + 1
redis.call('HSET', KEYS[1], 'node', ARGV[5], 'epoch', epoch)
redis.call('SMOVE', KEYS[2], KEYS[3], ARGV[2])
return {'moved', ARGV[5], epoch}
)");

// KEYS: owner:<room>, node_rooms:<me>, room:<room>, rooms, seats:<room>.
// ARGV: prefix, room, me, epoch, released_ttl_ms.
const RedisScript kRelease(std::string(kFenceLua) + R"(
local node, epoch, ours = fence(KEYS[1], ARGV[3], ARGV[4])
if not ours then return {'stale', node, epoch} end
local game = redis.call('HGET', KEYS[1], 'game')
redis.call('HSET', KEYS[1], 'node', '')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[3], KEYS[5])
redis.call('SREM', KEYS[4], ARGV[2])
if game then redis.call('ZREM', ARGV[1] .. 'joinable:' .. game, ARGV[2]) end
return {'released', '', epoch}
)");

// KEYS: owner:<room>, node_rooms:<me>. ARGV: room, me, epoch, game.
const RedisScript kReassert(R"(
local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch')
if not cur[2] then
  redis.call('HSET', KEYS[1], 'node', ARGV[2], 'epoch', ARGV[3], 'game', ARGV[4])
  redis.call('SADD', KEYS[2], ARGV[1])
  return {'reasserted', ARGV[2], tonumber(ARGV[3])}
end
local node, epoch = cur[1] or '', tonumber(cur[2])
if node == ARGV[2] and epoch == tonumber(ARGV[3]) then
  redis.call('SADD', KEYS[2], ARGV[1])
  return {'owned', node, epoch}
end
return {'stale', node, epoch}
)");

// Many rooms per call: Redis's cost of a script call is paid once per batch, not per room.
// KEYS: rooms, then owner:<room>, room:<room> per room. ARGV: me, then room, epoch,
// "<game>\n<json>" per room. Answers one {outcome, node, epoch} per room.
const RedisScript kWrite(std::string(kFenceLua) + R"(
local out = {}
for i = 1, (#KEYS - 1) / 2 do
  local room, value = ARGV[3 * i - 1], ARGV[3 * i + 1]
  local node, epoch, ours = fence(KEYS[2 * i], ARGV[1], ARGV[3 * i])
  if ours then
    redis.call('SET', KEYS[2 * i + 1], value)
    redis.call('SADD', KEYS[1], room)
    out[i] = {'written', node, epoch}
  else
    out[i] = {'stale', node, epoch}
  end
end
return out
)");

// A script blocks Redis while it runs: batches go in calls of at most this many rooms.
constexpr std::size_t kRoomsPerWriteCall = 128;

// KEYS: owner:<room>. ARGV: prefix. Answers {node, epoch, game, alive} or nil.
const RedisScript kLookup(R"(
local cur = redis.call('HMGET', KEYS[1], 'node', 'epoch', 'game')
if not cur[2] then return false end
local alive = 0
if cur[1] and cur[1] ~= '' then alive = redis.call('EXISTS', ARGV[1] .. 'node:' .. cur[1]) end
return {cur[1] or '', tonumber(cur[2]), cur[3] or '', alive}
)");
}  // namespace

RoomRegistry::RoomRegistry(store::RedisEndpoint endpoint, std::string node_id,
                           RegistryOptions options)
    : keys_{endpoint.prefix},
      node_id_(std::move(node_id)),
      options_(options),
      conn_(std::move(endpoint)) {}

OwnerRecord RoomRegistry::claim(const std::string& room, const std::string& game, ClaimMode mode,
                                Millis grace_ms) {
  std::lock_guard lock(mutex_);
  auto r = conn_.eval(
      kClaim, {keys_.owner(room), keys_.node_rooms(node_id_)},
      {keys_.prefix, room, node_id_, game, mode == ClaimMode::create ? "create" : "takeover",
       std::to_string(grace_ms >= 0 ? grace_ms : options_.suspect_grace_ms)});
  return parse_owner_reply(r.get());
}

OwnerRecord RoomRegistry::hand_over(const std::string& room, std::int64_t epoch,
                                    const std::string& target) {
  std::lock_guard lock(mutex_);
  auto r = conn_.eval(kHandOver,
                      {keys_.owner(room), keys_.node_rooms(node_id_), keys_.node_rooms(target)},
                      {keys_.prefix, room, node_id_, std::to_string(epoch), target});
  return parse_owner_reply(r.get());
}

OwnerRecord RoomRegistry::release(const std::string& room, std::int64_t epoch) {
  std::lock_guard lock(mutex_);
  auto r = conn_.eval(kRelease,
                      {keys_.owner(room), keys_.node_rooms(node_id_), keys_.snapshot(room),
                       keys_.stored_rooms(), keys_.seats(room)},
                      {keys_.prefix, room, node_id_, std::to_string(epoch),
                       std::to_string(options_.released_ttl_ms)});
  return parse_owner_reply(r.get());
}

OwnerRecord RoomRegistry::reassert(const std::string& room, std::int64_t epoch,
                                   const std::string& game) {
  return reassert_all({{room, epoch, game, {}}}).at(0);
}

std::vector<OwnerRecord> RoomRegistry::reassert_all(const std::vector<FencedSnapshot>& rooms) {
  std::vector<store::RedisConnection::ScriptCall> calls;
  calls.reserve(rooms.size());
  for (const auto& r : rooms)
    calls.push_back({&kReassert,
                     {keys_.owner(r.room), keys_.node_rooms(node_id_)},
                     {r.room, node_id_, std::to_string(r.epoch), r.game}});
  std::vector<std::string> errors;
  std::lock_guard lock(mutex_);
  auto replies = conn_.eval_many(calls, &errors);
  std::vector<OwnerRecord> out;
  out.reserve(rooms.size());
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (!errors[i].empty()) throw store::RedisError(errors[i]);
    out.push_back(parse_owner_reply(replies[i].get()));
  }
  return out;
}

std::optional<RoomOwner> RoomRegistry::lookup(const std::string& room) {
  std::lock_guard lock(mutex_);
  auto r = conn_.eval(kLookup, {keys_.owner(room)}, {keys_.prefix});
  if (store::reply_size(r.get()) != 4) return std::nullopt;
  RoomOwner out;
  out.node = store::reply_string(store::reply_element(r.get(), 0));
  out.epoch = store::reply_integer(store::reply_element(r.get(), 1));
  out.game = store::reply_string(store::reply_element(r.get(), 2));
  out.node_alive = store::reply_integer(store::reply_element(r.get(), 3)) == 1;
  return out;
}

std::vector<std::string> RoomRegistry::rooms_of(const std::string& node) {
  std::lock_guard lock(mutex_);
  auto r = conn_.command({"SMEMBERS", keys_.node_rooms(node)});
  std::vector<std::string> out;
  for (std::size_t i = 0; i < store::reply_size(r.get()); ++i)
    out.push_back(store::reply_string(store::reply_element(r.get(), i)));
  return out;
}

OwnerRecord RoomRegistry::write_snapshot(const FencedSnapshot& snapshot) {
  return write_snapshots({snapshot}).at(0);
}

std::vector<OwnerRecord> RoomRegistry::write_snapshots(const std::vector<FencedSnapshot>& batch) {
  std::vector<store::RedisConnection::ScriptCall> calls;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i % kRoomsPerWriteCall == 0) calls.push_back({&kWrite, {keys_.stored_rooms()}, {node_id_}});
    const auto& s = batch[i];
    calls.back().keys.push_back(keys_.owner(s.room));
    calls.back().keys.push_back(keys_.snapshot(s.room));
    calls.back().args.insert(calls.back().args.end(),
                             {s.room, std::to_string(s.epoch), s.game + "\n" + s.snapshot});
  }
  std::vector<std::string> errors;
  std::lock_guard lock(mutex_);
  auto replies = conn_.eval_many(calls, &errors);
  std::vector<OwnerRecord> out;
  out.reserve(batch.size());
  for (std::size_t c = 0; c < replies.size(); ++c) {
    if (!errors[c].empty()) throw store::RedisError(errors[c]);
    for (std::size_t i = 0; i < store::reply_size(replies[c].get()); ++i)
      out.push_back(parse_owner_reply(store::reply_element(replies[c].get(), i)));
  }
  if (out.size() != batch.size()) throw store::RedisError("cluster registry: malformed answer");
  return out;
}

}  // namespace roomctl::cluster
