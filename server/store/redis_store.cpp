// Redis store implementation.
#include "server/store/redis_store.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>

namespace roomctl::store {

namespace {
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

std::string as_string(const redisReply* r) {
  return r && r->str ? std::string(r->str, r->len) : "";
}
}  // namespace

RedisStore::RedisStore(std::string host, int port, int db, std::string prefix)
    : host_(std::move(host)), prefix_(std::move(prefix)), port_(port), db_(db) {
  std::lock_guard lock(mutex_);
  try {
    ensure_connected();
  } catch (const std::exception&) {
    // Start anyway: readyz reports the outage and writes are retried until Redis is back.
  }
}

RedisStore::~RedisStore() {
  disconnect();
}

std::string RedisStore::describe() const {
  return "redis://" + host_ + ":" + std::to_string(port_) + "/" + std::to_string(db_);
}

void RedisStore::disconnect() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

void RedisStore::ensure_connected() {
  if (ctx_) return;
  Millis now = mono_now_ms();
  if (now < next_attempt_) throw std::runtime_error("redis " + describe() + " is down (retrying)");
  timeval tv{1, 0};
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (!ctx_ || ctx_->err) {
    std::string err = ctx_ ? ctx_->errstr : "allocation failed";
    disconnect();
    next_attempt_ = now + backoff_;
    backoff_ = std::min<Millis>(backoff_ * 2, 2000);
    throw std::runtime_error("redis " + describe() + ": " + err);
  }
  redisSetTimeout(ctx_, tv);
  backoff_ = 100;
  if (db_ != 0) {
    Reply r(command({"SELECT", std::to_string(db_)}));
  }
}

void RedisStore::append(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data());
}

redisReply* RedisStore::next_reply() {
  void* out = nullptr;
  if (redisGetReply(ctx_, &out) != REDIS_OK || !out) {
    std::string err = ctx_->errstr;
    disconnect();
    next_attempt_ = mono_now_ms() + backoff_;
    throw std::runtime_error("redis " + describe() + ": " + err);
  }
  auto* r = static_cast<redisReply*>(out);
  if (r->type == REDIS_REPLY_ERROR) {
    std::string err = as_string(r);
    freeReplyObject(r);
    throw std::runtime_error("redis error: " + err);
  }
  return r;
}

redisReply* RedisStore::command(const std::vector<std::string>& args) {
  ensure_connected();
  append(args);
  return next_reply();
}

bool RedisStore::healthy() {
  std::lock_guard lock(mutex_);
  try {
    Reply r(command({"PING"}));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void RedisStore::push(const std::string& receiver, const std::string& payload, Millis, Millis ttl) {
  std::lock_guard lock(mutex_);
  Reply seq(command({"INCR", prefix_ + "dmseq"}));
  std::string key = prefix_ + "messages:" + receiver;
  append({"MULTI"});
  append({"RPUSH", key, std::to_string(seq->integer) + " " + payload});
  append({"PEXPIRE", key, std::to_string(ttl)});
  append({"EXEC"});
  for (int i = 0; i < 4; ++i) Reply r(next_reply());
}

std::vector<QueuedMessage> RedisStore::read_queue(const std::string& key) {
  Reply r(command({"LRANGE", key, "0", "-1"}));
  std::vector<QueuedMessage> out;
  for (size_t i = 0; i < r->elements; ++i) {
    std::string e = as_string(r->element[i]);
    auto space = e.find(' ');
    if (space == std::string::npos) continue;
    out.push_back({std::stoll(e.substr(0, space)), e.substr(space + 1)});
  }
  return out;
}

std::vector<QueuedMessage> RedisStore::pending(const std::string& receiver, Millis) {
  std::lock_guard lock(mutex_);
  return read_queue(prefix_ + "messages:" + receiver);
}

void RedisStore::ack(const std::string& receiver, std::int64_t up_to_seq) {
  std::lock_guard lock(mutex_);
  std::string key = prefix_ + "messages:" + receiver;
  auto q = read_queue(key);
  std::size_t n = 0;
  while (n < q.size() && q[n].seq <= up_to_seq) ++n;
  if (n == 0) return;
  // Pushes only append, so trimming the first n entries never drops a newer message.
  Reply r(command({"LTRIM", key, std::to_string(n), "-1"}));
}

std::size_t RedisStore::size() {
  return 0;  // not tracked: counting every queue would scan the keyspace (documented)
}

void RedisStore::write_rooms(const RoomBatch& batch) {
  std::lock_guard lock(mutex_);
  ensure_connected();
  append({"MULTI"});
  std::size_t n = 1;
  for (const auto& room : batch.put) {
    append({"SET", prefix_ + "room:" + room.id, room.game + "\n" + room.snapshot});
    append({"SADD", prefix_ + "rooms", room.id});
    n += 2;
  }
  for (const auto& id : batch.erase) {
    append({"DEL", prefix_ + "room:" + id});
    append({"SREM", prefix_ + "rooms", id});
    n += 2;
  }
  append({"EXEC"});
  ++n;
  std::string error;
  for (std::size_t i = 0; i < n; ++i) {
    try {
      Reply r(next_reply());
    } catch (const std::exception& e) {
      if (!ctx_) throw;  // connection lost: nothing more to read
      error = e.what();  // keep reading the pipeline's replies
    }
  }
  if (!error.empty()) throw std::runtime_error(error);
}

std::vector<StoredRoom> RedisStore::load_rooms() {
  std::lock_guard lock(mutex_);
  Reply ids(command({"SMEMBERS", prefix_ + "rooms"}));
  std::vector<std::string> list;
  for (size_t i = 0; i < ids->elements; ++i) list.push_back(as_string(ids->element[i]));
  for (const auto& id : list) append({"GET", prefix_ + "room:" + id});
  std::vector<StoredRoom> out;
  for (const auto& id : list) {
    Reply r(next_reply());
    std::string v = as_string(r.get());
    auto nl = v.find('\n');
    if (nl == std::string::npos) continue;
    out.push_back({id, v.substr(0, nl), v.substr(nl + 1)});
  }
  return out;
}

}  // namespace roomctl::store
