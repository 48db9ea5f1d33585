// NodeLease and LeaseKeeper: the lease script and the refresh thread.
#include "server/cluster/node_lease.hpp"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdio>
#include <random>

namespace roomctl::cluster {

namespace {
using store::reply_element;
using store::reply_integer;
using store::reply_size;
using store::reply_string;

// KEYS: node:<id>, nodes, suspect:<id>. ARGV: id, incarnation, ttl_ms, then field/value pairs.
// Answers {'created'|'refreshed'} or {'conflict', other incarnation}. Deleting the suspect note
// is what tells claimants that this node came back (RoomRegistry's takeover grace).
const store::RedisScript kRefresh(R"(
local inc = redis.call('HGET', KEYS[1], 'incarnation')
if inc and inc ~= ARGV[2] then return {'conflict', inc} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'incarnation', ARGV[2], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('DEL', KEYS[3])
if inc then return {'refreshed'} end
return {'created'}
)");

// KEYS: node:<id>, nodes, node_rooms:<id>. ARGV: id, incarnation.
const store::RedisScript kRelease(R"(
if redis.call('HGET', KEYS[1], 'incarnation') == ARGV[2] then redis.call('DEL', KEYS[1]) end
if redis.call('SCARD', KEYS[3]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return 1
)");

// KEYS: node:<id>, nodes, node_rooms:<id>. ARGV: id.
const store::RedisScript kForget(R"(
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('SCARD', KEYS[3]) > 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
)");

std::string make_incarnation() {
  std::random_device rd;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%d-%lld-%08x", static_cast<int>(::getpid()),
                static_cast<long long>(wall_now_ms()), rd());
  return buf;
}

std::string field(const redisReply* hash, const std::string& name) {
  for (std::size_t i = 0; i + 1 < reply_size(hash); i += 2)
    if (reply_string(reply_element(hash, i)) == name)
      return reply_string(reply_element(hash, i + 1));
  return "";
}
}  // namespace

NodeLease::NodeLease(store::RedisEndpoint endpoint, std::string node_id, Millis ttl_ms)
    : keys_{endpoint.prefix},
      node_id_(std::move(node_id)),
      incarnation_(make_incarnation()),
      ttl_ms_(ttl_ms),
      conn_(std::move(endpoint)) {}

NodeLease::Result NodeLease::refresh(const NodeInfo& info) {
  std::lock_guard lock(mutex_);
  auto r =
      conn_.eval(kRefresh, {keys_.node(node_id_), keys_.nodes(), keys_.suspect(node_id_)},
                 {node_id_, incarnation_, std::to_string(ttl_ms_), "ws", info.ws_address, "admin",
                  info.admin_address, "load", std::to_string(info.load), "rooms",
                  std::to_string(info.rooms), "connections", std::to_string(info.connections)});
  std::string answer = reply_string(reply_element(r.get(), 0));
  if (answer == "conflict") return Result::conflict;
  return answer == "created" ? Result::created : Result::refreshed;
}

void NodeLease::release() {
  std::lock_guard lock(mutex_);
  conn_.eval(kRelease, {keys_.node(node_id_), keys_.nodes(), keys_.node_rooms(node_id_)},
             {node_id_, incarnation_});
}

bool NodeLease::forget(const std::string& node_id) {
  std::lock_guard lock(mutex_);
  return reply_integer(conn_
                           .eval(kForget,
                                 {keys_.node(node_id), keys_.nodes(), keys_.node_rooms(node_id)},
                                 {node_id})
                           .get()) == 1;
}

std::vector<NodeStatus> NodeLease::list() {
  std::lock_guard lock(mutex_);
  auto ids = conn_.command({"ZRANGE", keys_.nodes(), "0", "-1", "WITHSCORES"});
  std::vector<NodeStatus> out;
  std::vector<store::RedisConnection::Args> cmds;
  for (std::size_t i = 0; i + 1 < reply_size(ids.get()); i += 2) {
    NodeStatus s;
    s.info.id = reply_string(reply_element(ids.get(), i));
    s.last_refresh_ms = reply_integer(reply_element(ids.get(), i + 1));
    cmds.push_back({"HGETALL", keys_.node(s.info.id)});
    cmds.push_back({"PTTL", keys_.node(s.info.id)});
    cmds.push_back({"SCARD", keys_.node_rooms(s.info.id)});
    out.push_back(std::move(s));
  }
  auto replies = conn_.pipeline(cmds);
  for (std::size_t n = 0; n < out.size(); ++n) {
    const redisReply* hash = replies[3 * n].get();
    auto& s = out[n];
    s.alive = reply_size(hash) > 0;
    s.info.ws_address = field(hash, "ws");
    s.info.admin_address = field(hash, "admin");
    s.info.load = std::strtod(field(hash, "load").c_str(), nullptr);
    s.info.rooms = std::strtoll(field(hash, "rooms").c_str(), nullptr, 10);
    s.info.connections = std::strtoll(field(hash, "connections").c_str(), nullptr, 10);
    s.lease_ttl_ms = std::max<long long>(0, reply_integer(replies[3 * n + 1].get()));
    s.owned_rooms = reply_integer(replies[3 * n + 2].get());
  }
  return out;
}

LeaseKeeper::LeaseKeeper(store::RedisEndpoint endpoint, std::string node_id, Options options,
                         std::function<NodeInfo()> info, std::function<void()> on_reasserted)
    : lease_(std::move(endpoint), std::move(node_id), options.ttl_ms),
      options_(options),
      info_(std::move(info)),
      on_reasserted_(std::move(on_reasserted)) {
  thread_ = std::thread([this] { run(); });
}

LeaseKeeper::~LeaseKeeper() {
  stop();
}

void LeaseKeeper::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  try {
    lease_.release();
  } catch (const std::exception&) {
    // Redis is away: the lease simply expires.
  }
}

std::string LeaseKeeper::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void LeaseKeeper::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    tick();
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms),
                   [this] { return stopping_; });
  }
}

void LeaseKeeper::tick() {
  try {
    // Inside the try: a throwing info callback is a failed refresh, never a dead process.
    NodeInfo info = info_ ? info_() : NodeInfo{};
    auto result = lease_.refresh(info);
    refreshes_.fetch_add(1);
    if (result == NodeLease::Result::conflict) {
      state_ = State::conflict;
      std::lock_guard lock(mutex_);
      last_error_ = "node id " + lease_.node_id() + " is held by another process";
      return;
    }
    state_ = State::held;
    if (result == NodeLease::Result::created && held_before_) {
      reasserts_.fetch_add(1);
      if (on_reasserted_) on_reasserted_();
    }
    held_before_ = true;
  } catch (const std::exception& e) {
    // Redis is away or hung: our lease may lapse, but nobody can take our rooms while it is
    // away either, and the takeover grace covers our way back.
    failures_.fetch_add(1);
    state_ = State::unknown;
    std::lock_guard lock(mutex_);
    last_error_ = e.what();
  }
}

}  // namespace roomctl::cluster
