// The cluster user directory: user:<id> -> {node, connection, epoch} with a TTL, so that any node
// finds the node that holds a user's connection (DM notify, presence, invites, takeover). The
// epoch comes from one cluster-wide counter (user_epoch): a later bind always has a higher one,
// and a node only refreshes or removes the binding it made (compare-and-set on the epoch), so a
// late close on the old node never unbinds the user's new connection elsewhere. The node that
// binds learns the previous binding and tells that node to close the old socket.
//
// Thread-safe (one connection behind a mutex). Redis failures throw store::RedisError.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/cluster/cluster_keys.hpp"
#include "server/store/redis_connection.hpp"

namespace roomctl::cluster {

struct UserLocation {
  std::string node;
  std::string connection;  // the node's own connection id
  std::int64_t epoch = 0;
};

struct BindResult {
  std::int64_t epoch = 0;                // ours
  std::optional<UserLocation> replaced;  // the binding we took over, if any
};

class ClusterUserDirectory {
 public:
  ClusterUserDirectory(store::RedisEndpoint endpoint, std::string node_id, Millis ttl_ms = 30000);

  BindResult bind(const std::string& user, const std::string& connection);
  // Extends the TTL of the bindings we still hold, one round trip; answers, per user, whether
  // the binding was still ours (false: the user moved to another connection since).
  std::vector<bool> refresh(const std::vector<std::pair<std::string, std::int64_t>>& users);
  bool unbind(const std::string& user, std::int64_t epoch);  // false: not ours any more
  std::optional<UserLocation> lookup(const std::string& user);

 private:
  ClusterKeys keys_;
  std::string node_id_;
  Millis ttl_ms_;
  std::mutex mutex_;
  store::RedisConnection conn_;
};

}  // namespace roomctl::cluster
