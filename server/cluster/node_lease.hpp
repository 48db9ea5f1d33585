// Node liveness as a lease in Redis. Keys (cluster_keys.hpp):
//   node:<id>   hash {incarnation, ws, admin, load, rooms, connections} with a TTL (lease_ttl)
//   nodes       zset of every node that held a lease, scored by its last refresh (Redis time),
//               kept while the node still owns rooms: the sweeper's list of dead nodes
// A node is dead when its lease key expired, never because one refresh was missed. The lease
// names the process's incarnation, so that a second process started with the same node id is
// refused (conflict) until the first one's lease has expired.
//
// NodeLease does single calls; LeaseKeeper is the thread that refreshes every interval and keeps
// trying through a Redis outage: when Redis returns (restarted empty, or resumed with every lease
// expired) the next refresh re-creates the lease, and on_reasserted tells the owner to re-assert
// its rooms (RoomRegistry::reassert). Redis being away is "unknown", not "dead".
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/cluster/cluster_keys.hpp"
#include "server/store/redis_connection.hpp"

namespace roomctl::cluster {

struct NodeInfo {
  std::string id;
  std::string ws_address;     // where clients and load balancers reach it (host:port)
  std::string admin_address;  // health, metrics, admin API (host:port)
  double load = 0;            // the highest of its load ratios, 0..1 (placement prefers less)
  std::int64_t rooms = 0;
  std::int64_t connections = 0;
};

struct NodeStatus {
  NodeInfo info;
  bool alive = false;          // the lease exists
  Millis lease_ttl_ms = 0;     // what is left of it
  Millis last_refresh_ms = 0;  // Redis time of its last refresh
  std::int64_t owned_rooms = 0;
};

class NodeLease {
 public:
  enum class Result { created, refreshed, conflict };

  NodeLease(store::RedisEndpoint endpoint, std::string node_id, Millis ttl_ms = 3000);

  const std::string& node_id() const { return node_id_; }
  const std::string& incarnation() const { return incarnation_; }
  // Creates or extends the lease with the current addresses and load. Throws on Redis failure.
  Result refresh(const NodeInfo& info);
  // A clean stop: the lease goes at once; the node stays listed while it still owns rooms.
  void release();
  // Every node listed in `nodes`, alive or not, in one round trip per call.
  std::vector<NodeStatus> list();
  // The sweeper's last step for a dead node: drops it from `nodes` once its lease is gone and
  // it owns no rooms (false while either is not so). Keeps `nodes` bounded when node ids are
  // new on every deployment.
  bool forget(const std::string& node_id);

 private:
  ClusterKeys keys_;
  std::string node_id_, incarnation_;
  Millis ttl_ms_;
  std::mutex mutex_;
  store::RedisConnection conn_;
};

class LeaseKeeper {
 public:
  struct Options {
    Millis interval_ms = 1000;
    Millis ttl_ms = 3000;
  };
  enum class State { starting, held, unknown /* Redis unreachable */, conflict };

  // `info` is asked for the node's current addresses and load before every refresh;
  // `on_reasserted` runs on the keeper's thread after a refresh had to re-create a lease that
  // this process held before (Redis lost it or it expired while Redis was away).
  LeaseKeeper(store::RedisEndpoint endpoint, std::string node_id, Options options,
              std::function<NodeInfo()> info, std::function<void()> on_reasserted = {});
  ~LeaseKeeper();  // stops the thread and releases the lease

  void stop();
  State state() const { return state_.load(); }
  std::uint64_t refreshes() const { return refreshes_.load(); }
  std::uint64_t reasserts() const { return reasserts_.load(); }
  std::uint64_t failures() const { return failures_.load(); }
  std::string last_error() const;

 private:
  void run();
  void tick();

  NodeLease lease_;
  Options options_;
  std::function<NodeInfo()> info_;
  std::function<void()> on_reasserted_;
  std::atomic<State> state_{State::starting};
  std::atomic<std::uint64_t> refreshes_{0}, reasserts_{0}, failures_{0};
  bool held_before_ = false;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace roomctl::cluster
