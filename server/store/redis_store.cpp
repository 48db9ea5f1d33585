// Redis store implementation.
#include "server/store/redis_store.hpp"

#include "server/store/redis_stroke_lua.hpp"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <charconv>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "server/util/log.hpp"

namespace roomctl::store {

RedisStore::RedisStore(RedisEndpoint endpoint)
    : prefix_(endpoint.prefix), conn_(std::move(endpoint)) {
  conn_.set_on_connect([this](RedisConnection&) { check_identity(); });
  std::lock_guard lock(mutex_);
  try {
    conn_.ensure_connected();
  } catch (const std::exception&) {
    // Start anyway: readyz reports the outage and writes are retried until Redis is back.
  }
}

RedisStore::~RedisStore() = default;

std::string RedisStore::describe() const {
  return conn_.describe();
}

// Each server that holds our data carries a marker key with an id we chose. After a reconnect a
// missing or different marker means this is not the data we wrote (Redis restarted empty, or a
// replica without it was promoted): bump the generation so that every room is written again.
void RedisStore::check_identity() {
  std::string seen = reply_string(conn_.command({"GET", prefix_ + "store_id"}).get());
  if (!seen.empty() && seen == store_id_) return;
  if (store_id_.empty() && !seen.empty()) {  // first connect: adopt the data that is there
    store_id_ = seen;
    connected_before_ = true;
    return;
  }
  if (store_id_.empty())
    store_id_ = std::to_string(wall_now_ms()) + "-" + std::to_string(::getpid());
  conn_.command({"SET", prefix_ + "store_id", store_id_});
  if (connected_before_) generation_.fetch_add(1);
  connected_before_ = true;
}

std::string RedisStore::health_problem() {
  std::lock_guard lock(mutex_);
  try {
    conn_.command({"PING"});
    return "";
  } catch (const std::exception& e) {
    return std::string("redis unreachable: ") + e.what();
  }
}

namespace {
// Appends under the queue's bounds; keeps the queue's byte count in a companion key. Returns the
// new message's seq, or -1 when the queue is full.
const RedisScript kPushScript(R"(
local n = redis.call('LLEN', KEYS[1])
local b = 0
if n > 0 then b = tonumber(redis.call('GET', KEYS[2]) or '0') end
local size = string.len(ARGV[1])
if n + 1 > tonumber(ARGV[3]) or b + size > tonumber(ARGV[4]) then return -1 end
local seq = redis.call('INCR', KEYS[3])
redis.call('RPUSH', KEYS[1], seq .. ' ' .. ARGV[1])
redis.call('SET', KEYS[2], b + size, 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return seq
)");

// Drops the entries with seq <= ARGV[1] from the head of the queue and their bytes from the count.
const RedisScript kAckScript(R"(
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local n, b = 0, 0
for _, e in ipairs(items) do
  local sp = string.find(e, ' ', 1, true)
  if not sp or tonumber(string.sub(e, 1, sp - 1)) > tonumber(ARGV[1]) then break end
  n = n + 1
  b = b + string.len(e) - sp
end
if n == 0 then return 0 end
redis.call('LTRIM', KEYS[1], n, -1)
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2])
else redis.call('DECRBY', KEYS[2], b) end
return n
)");

std::string size_arg(std::size_t v) {
  return std::to_string(std::min<std::size_t>(v, std::size_t{1} << 52));
}
}  // namespace

PushResult RedisStore::push(const std::string& receiver, const std::string& payload, Millis,
                            Millis ttl, const QueueLimits& limits) {
  std::lock_guard lock(mutex_);
  std::string key = prefix_ + "messages:" + receiver;
  auto r = conn_.eval(
      kPushScript, {key, key + ":bytes", prefix_ + "dmseq"},
      {payload, std::to_string(ttl), size_arg(limits.max_messages), size_arg(limits.max_bytes)});
  if (reply_integer(r.get()) < 0) return PushResult::full;
  if (conn_.endpoint().uses_sentinel()) wait_for_replica();
  return PushResult::queued;
}

// With a Sentinel group a failover promotes a replica: a DM acknowledged before any replica had
// it would be lost with the old master. WAIT holds the acknowledgement until one replica has it,
// for at most kReplicaWaitMs; past that the DM is still queued (on the master alone), counted and
// logged, so that a replica that is gone or lagging shows instead of failing every DM. Pushes
// run one at a time on the store thread: after a timeout the next kReplicaRetryMs of pushes do
// not wait (and count as not replicated), so that a missing replica costs one wait per retry
// interval rather than one per DM.
void RedisStore::wait_for_replica() {
  if (mono_now_ms() >= skip_wait_until_) {
    auto r = conn_.command({"WAIT", "1", std::to_string(kReplicaWaitMs)});
    if (reply_integer(r.get()) >= 1) return;
    skip_wait_until_ = mono_now_ms() + kReplicaRetryMs;
  }
  auto n = unreplicated_.fetch_add(1) + 1;
  if (n == 1 || n % 100 == 0)
    log::warn("dm_not_replicated", {{"store", describe()},
                                    {"wait_ms", std::to_string(kReplicaWaitMs)},
                                    {"count", std::to_string(n)}});
}

std::vector<QueuedMessage> RedisStore::read_queue(const std::string& key, std::size_t max) {
  std::string last = max >= (std::size_t{1} << 31) ? "-1" : std::to_string(max - 1);
  auto r = conn_.command({"LRANGE", key, "0", last});
  std::vector<QueuedMessage> out;
  for (size_t i = 0; i < reply_size(r.get()); ++i) {
    std::string e = reply_string(reply_element(r.get(), i));
    auto space = e.find(' ');
    if (space == std::string::npos) continue;
    out.push_back({std::stoll(e.substr(0, space)), e.substr(space + 1)});
  }
  return out;
}

std::vector<QueuedMessage> RedisStore::pending(const std::string& receiver, Millis,
                                               const QueueLimits& chunk) {
  std::lock_guard lock(mutex_);
  std::vector<QueuedMessage> out;
  std::size_t bytes = 0;
  for (auto& m : read_queue(prefix_ + "messages:" + receiver, chunk.max_messages))
    if (!take_into_chunk(out, bytes, chunk, std::move(m))) break;
  return out;
}

void RedisStore::ack(const std::string& receiver, std::int64_t up_to_seq) {
  std::lock_guard lock(mutex_);
  std::string key = prefix_ + "messages:" + receiver;
  conn_.eval(kAckScript, {key, key + ":bytes"}, {std::to_string(up_to_seq)});
}

std::size_t RedisStore::queued(const std::string& receiver, Millis) {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      reply_integer(conn_.command({"LLEN", prefix_ + "messages:" + receiver}).get()));
}

std::size_t RedisStore::size() {
  return 0;  // not tracked: counting every queue would scan the keyspace (documented)
}

namespace {
// Applies one room's stroke changes (see kStrokesLua); like every store's write, applying it twice
// leaves the same stream (a MULTI/EXEC is not rolled back when a later command fails, and the
// batch is written again).
const std::string kWriteStrokesScript =
    std::string(kStrokesLua) + "write_strokes(KEYS[1], ARGV[1], ARGV, 2)\nreturn 0\n";
}  // namespace

void RedisStore::write_rooms(const RoomBatch& batch) {
  if (fence_) {
    FencedResult r;
    {
      std::lock_guard lock(mutex_);
      r = write_rooms_fenced(batch);
    }
    // Outside the lock: the cluster stops or re-asserts these rooms, which writes again.
    if (fence_->on_refused)
      for (const auto& id : r.refused) fence_->on_refused(id);
    if (fence_->on_missing)
      for (const auto& id : r.missing) fence_->on_missing(id);
    return;
  }
  std::lock_guard lock(mutex_);
  std::vector<RedisConnection::Args> cmds{{"MULTI"}};
  for (const auto& room : batch.put) {
    cmds.push_back({"SET", prefix_ + "room:" + room.id, room.game + "\n" + room.snapshot});
    cmds.push_back({"SADD", prefix_ + "rooms", room.id});
  }
  // Plain EVAL inside the transaction: a NOSCRIPT answer to EVALSHA could not be retried there.
  for (const auto& w : batch.strokes) {
    auto keep = w.changes.keep_rows_through();
    RedisConnection::Args args{
        "EVAL", kWriteStrokesScript, "1", prefix_ + "strokes:" + w.room_id,
        keep == std::numeric_limits<std::int64_t>::max() ? "" : std::to_string(keep)};
    args.reserve(args.size() + w.changes.append.size());
    for (const auto& row : w.changes.append)
      args.push_back(std::to_string(row.seq) + " " + row.data);
    cmds.push_back(std::move(args));
  }
  for (const auto& id : batch.erase) {
    cmds.push_back({"DEL", prefix_ + "room:" + id, prefix_ + "strokes:" + id});
    cmds.push_back({"SREM", prefix_ + "rooms", id});
  }
  cmds.push_back({"EXEC"});
  std::vector<std::string> errors;
  auto replies = conn_.pipeline(cmds, &errors);  // every reply is read even after an error reply
  for (const auto& e : errors)
    if (!e.empty()) throw RedisError(e);
  // EXEC answers with each queued command's reply: an error inside the transaction (a failed
  // script) is an element, not the reply's type.
  const redisReply* exec = replies.empty() ? nullptr : replies.back().get();
  for (std::size_t k = 0; k < reply_size(exec); ++k)
    if (const redisReply* e = reply_element(exec, k); e && e->type == REDIS_REPLY_ERROR)
      throw RedisError("redis error: " + reply_string(e));
}

std::vector<StoredRoom> RedisStore::load_rooms() {
  std::lock_guard lock(mutex_);
  auto ids = conn_.command({"SMEMBERS", prefix_ + "rooms"});
  std::vector<std::string> list;
  std::vector<RedisConnection::Args> gets;
  for (size_t i = 0; i < reply_size(ids.get()); ++i) {
    list.push_back(reply_string(reply_element(ids.get(), i)));
    gets.push_back({"GET", prefix_ + "room:" + list.back()});
    gets.push_back({"LRANGE", prefix_ + "strokes:" + list.back(), "0", "-1"});
  }
  auto replies = conn_.pipeline(gets);
  std::vector<StoredRoom> out;
  for (std::size_t r = 0; r < list.size(); ++r)
    if (auto room = parse_stored(list[r], replies[2 * r].get(), replies[2 * r + 1].get()))
      out.push_back(std::move(*room));
  return out;
}

}  // namespace roomctl::store

namespace roomctl::store {

std::optional<StoredRoom> RedisStore::parse_stored(const std::string& id, const redisReply* value,
                                                   const redisReply* rows) {
  std::string v = reply_string(value);
  auto nl = v.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  StoredRoom room{id, v.substr(0, nl), v.substr(nl + 1), {}};
  room.strokes.reserve(reply_size(rows));
  for (std::size_t i = 0; i < reply_size(rows); ++i) {
    const redisReply* e = reply_element(rows, i);
    std::string_view row(e->str ? e->str : "", e->len);
    auto space = row.find(' ');
    std::int64_t seq = 0;
    auto [end, ec] = std::from_chars(row.data(), row.data() + std::min(space, row.size()), seq);
    // A damaged row is kept as one the game refuses (seq 0): the room is quarantined, not
    // silently restored without it.
    bool ok = ec == std::errc() && space != std::string_view::npos && end == row.data() + space;
    room.strokes.push_back({ok ? seq : 0, std::string(ok ? row.substr(space + 1) : row)});
  }
  return room;
}

std::optional<StoredRoom> RedisStore::load_room(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto replies = conn_.pipeline(
      {{"GET", prefix_ + "room:" + id}, {"LRANGE", prefix_ + "strokes:" + id, "0", "-1"}});
  if (!replies[0] || replies[0]->type != REDIS_REPLY_STRING) return std::nullopt;
  return parse_stored(id, replies[0].get(), replies[1].get());
}

}  // namespace roomctl::store
