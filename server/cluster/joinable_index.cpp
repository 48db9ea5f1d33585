// JoinableIndex: the publish, reserve and cancel scripts. The number of open seats is always
// recomputed from the published free seats and the reservations held (never adjusted blindly),
// so that a repeated or reordered call cannot drift the index.
#include "server/cluster/joinable_index.hpp"

namespace roomctl::cluster {

namespace {
// Shared by the scripts: recompute(seats_key, joinable_key, room). The seats hash holds three
// fixed fields (free, node, epoch); every other field is a reservation.
#define ROOMCTL_RECOMPUTE_LUA                                            \
  "local function recompute(sk, jk, room)\n"                             \
  "  local free = tonumber(redis.call('HGET', sk, 'free') or '0')\n"     \
  "  local open = free - (redis.call('HLEN', sk) - 3)\n"                 \
  "  if open > 0 then redis.call('ZADD', jk, open, room)\n"              \
  "  else redis.call('ZREM', jk, room) end\n"                            \
  "  return open\n"                                                      \
  "end\n"                                                                \
  "local function now_ms()\n"                                            \
  "  local t = redis.call('TIME')\n"                                     \
  "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
  "end\n"

// KEYS: owner:<room>, seats:<room>, joinable:<game>, reservations:<game>.
// ARGV: room, node, epoch, free, joined users...
const store::RedisScript kPublish(std::string(kFenceLua) + ROOMCTL_RECOMPUTE_LUA R"(
local node, epoch, ours = fence(KEYS[1], ARGV[2], ARGV[3])
if not ours then return {'stale', node, epoch} end
for i = 5, #ARGV do
  redis.call('HDEL', KEYS[2], 'r:' .. ARGV[i])
  redis.call('ZREM', KEYS[4], ARGV[1] .. '\n' .. ARGV[i])
end
redis.call('HSET', KEYS[2], 'free', ARGV[4], 'node', node, 'epoch', epoch)
recompute(KEYS[2], KEYS[3], ARGV[1])
return {'written', node, epoch}
)");

// KEYS: joinable:<game>, reservations:<game>. ARGV: prefix, user, ttl_ms.
// Answers {room, node, epoch} or false.
const store::RedisScript kReserve(ROOMCTL_RECOMPUTE_LUA R"(
local now = now_ms()
for _, e in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 32)) do
  redis.call('ZREM', KEYS[2], e)
  local nl = string.find(e, '\n', 1, true)
  local room, user = string.sub(e, 1, nl - 1), string.sub(e, nl + 1)
  local sk = ARGV[1] .. 'seats:' .. room
  if redis.call('HDEL', sk, 'r:' .. user) == 1 then recompute(sk, KEYS[1], room) end
end
local c = redis.call('ZRANGEBYSCORE', KEYS[1], 1, '+inf', 'LIMIT', 0, 1)
if #c == 0 then return false end
local room = c[1]
local sk = ARGV[1] .. 'seats:' .. room
local owner = redis.call('HMGET', sk, 'node', 'epoch')
if redis.call('HEXISTS', sk, 'r:' .. ARGV[2]) == 0 then
  local expiry = now + tonumber(ARGV[3])
  redis.call('HSET', sk, 'r:' .. ARGV[2], expiry)
  redis.call('ZADD', KEYS[2], expiry, room .. '\n' .. ARGV[2])
  recompute(sk, KEYS[1], room)
end
return {room, owner[1] or '', tonumber(owner[2] or '0')}
)");

// KEYS: seats:<room>, joinable:<game>, reservations:<game>. ARGV: room, user.
const store::RedisScript kCancel(ROOMCTL_RECOMPUTE_LUA R"(
if redis.call('HDEL', KEYS[1], 'r:' .. ARGV[2]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1] .. '\n' .. ARGV[2])
recompute(KEYS[1], KEYS[2], ARGV[1])
return 1
)");
#undef ROOMCTL_RECOMPUTE_LUA
}  // namespace

JoinableIndex::JoinableIndex(store::RedisEndpoint endpoint, Millis reservation_ttl_ms)
    : keys_{endpoint.prefix}, ttl_ms_(reservation_ttl_ms), conn_(std::move(endpoint)) {}

OwnerRecord JoinableIndex::publish(const std::string& game, const std::string& room,
                                   const std::string& node, std::int64_t epoch, int free,
                                   const std::vector<std::string>& joined) {
  store::RedisConnection::Args args{room, node, std::to_string(epoch),
                                    std::to_string(std::max(free, 0))};
  args.insert(args.end(), joined.begin(), joined.end());
  std::lock_guard lock(mutex_);
  auto r = conn_.eval(
      kPublish,
      {keys_.owner(room), keys_.seats(room), keys_.joinable(game), keys_.reservations(game)}, args);
  return parse_owner_reply(r.get());
}

std::optional<Reservation> JoinableIndex::reserve(const std::string& game,
                                                  const std::string& user) {
  std::lock_guard lock(mutex_);
  auto r = conn_.eval(kReserve, {keys_.joinable(game), keys_.reservations(game)},
                      {keys_.prefix, user, std::to_string(ttl_ms_)});
  if (store::reply_size(r.get()) != 3) return std::nullopt;
  return Reservation{store::reply_string(store::reply_element(r.get(), 0)),
                     store::reply_string(store::reply_element(r.get(), 1)),
                     store::reply_integer(store::reply_element(r.get(), 2))};
}

bool JoinableIndex::cancel(const std::string& game, const std::string& room,
                           const std::string& user) {
  std::lock_guard lock(mutex_);
  auto r = conn_.eval(kCancel, {keys_.seats(room), keys_.joinable(game), keys_.reservations(game)},
                      {room, user});
  return store::reply_integer(r.get()) == 1;
}

int JoinableIndex::open_seats(const std::string& game, const std::string& room) {
  std::lock_guard lock(mutex_);
  auto r = conn_.command({"ZSCORE", keys_.joinable(game), room});
  return store::reply_is_nil(r.get()) ? 0 : static_cast<int>(store::reply_integer(r.get()));
}

}  // namespace roomctl::cluster
