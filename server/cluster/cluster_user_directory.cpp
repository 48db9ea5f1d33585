// ClusterUserDirectory: bind, refresh and unbind as scripts, compare-and-set on the epoch.
#include "server/cluster/cluster_user_directory.hpp"

namespace roomctl::cluster {

namespace {
using store::reply_element;
using store::reply_integer;
using store::reply_size;
using store::reply_string;

// KEYS: user:<id>, user_epoch. ARGV: node, connection, ttl_ms.
// Answers {epoch, previous node, previous connection, previous epoch}.
const store::RedisScript kBind(R"(
local prev = redis.call('HMGET', KEYS[1], 'node', 'conn', 'epoch')
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'conn', ARGV[2], 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {epoch, prev[1] or '', prev[2] or '', tonumber(prev[3] or '0')}
)");

// KEYS: user:<id>. ARGV: epoch, ttl_ms (refresh) or epoch alone (unbind, ttl "0").
const store::RedisScript kTouch(R"(
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
)");
}  // namespace

ClusterUserDirectory::ClusterUserDirectory(store::RedisEndpoint endpoint, std::string node_id,
                                           Millis ttl_ms)
    : keys_{endpoint.prefix},
      node_id_(std::move(node_id)),
      ttl_ms_(ttl_ms),
      conn_(std::move(endpoint)) {}

BindResult ClusterUserDirectory::bind(const std::string& user, const std::string& connection) {
  std::lock_guard lock(mutex_);
  auto r = conn_.eval(kBind, {keys_.user(user), keys_.user_epoch()},
                      {node_id_, connection, std::to_string(ttl_ms_)});
  BindResult out;
  out.epoch = reply_integer(reply_element(r.get(), 0));
  std::string prev_node = reply_string(reply_element(r.get(), 1));
  if (!prev_node.empty())
    out.replaced = UserLocation{prev_node, reply_string(reply_element(r.get(), 2)),
                                reply_integer(reply_element(r.get(), 3))};
  return out;
}

std::vector<bool> ClusterUserDirectory::refresh(
    const std::vector<std::pair<std::string, std::int64_t>>& users) {
  std::vector<store::RedisConnection::ScriptCall> calls;
  calls.reserve(users.size());
  for (const auto& [user, epoch] : users)
    calls.push_back(
        {&kTouch, {keys_.user(user)}, {std::to_string(epoch), std::to_string(ttl_ms_)}});
  std::vector<std::string> errors;
  std::lock_guard lock(mutex_);
  auto replies = conn_.eval_many(calls, &errors);
  std::vector<bool> out;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (!errors[i].empty()) throw store::RedisError(errors[i]);
    out.push_back(reply_integer(replies[i].get()) == 1);
  }
  return out;
}

bool ClusterUserDirectory::unbind(const std::string& user, std::int64_t epoch) {
  std::lock_guard lock(mutex_);
  return reply_integer(
             conn_.eval(kTouch, {keys_.user(user)}, {std::to_string(epoch), "0"}).get()) == 1;
}

std::optional<UserLocation> ClusterUserDirectory::lookup(const std::string& user) {
  std::lock_guard lock(mutex_);
  auto r = conn_.command({"HMGET", keys_.user(user), "node", "conn", "epoch"});
  std::string node = reply_string(reply_element(r.get(), 0));
  if (node.empty()) return std::nullopt;
  return UserLocation{node, reply_string(reply_element(r.get(), 1)),
                      reply_integer(reply_element(r.get(), 2))};
}

}  // namespace roomctl::cluster
