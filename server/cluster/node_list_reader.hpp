// The cluster's node list for the admin API (GET /admin/nodes), read from Redis off the event
// loops. A request posts a callback; the reader's own thread runs one NodeLease::list() for every
// callback waiting at that moment (a burst of requests, e.g. several `inspect nodes --watch`,
// costs one round trip) and calls them with the list or the Redis error. The reader only reads:
// it never refreshes or releases a lease. The wait is bounded: every Redis read times out
// (RedisConnection's 1 s), and at most `max_pending` requests wait; more are refused at once, so
// a hung Redis costs the admin API answers, never memory or an event loop.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/cluster/node_lease.hpp"

namespace roomctl::cluster {

class NodeListReader {
 public:
  // error is empty on success; the callback runs on the reader's thread.
  using Done = std::function<void(std::vector<NodeStatus> nodes, std::string error)>;

  explicit NodeListReader(store::RedisEndpoint endpoint, std::size_t max_pending = 32);
  ~NodeListReader();  // answers what still waits with an error, then joins the thread
  NodeListReader(const NodeListReader&) = delete;
  NodeListReader& operator=(const NodeListReader&) = delete;

  // False (and `done` is not called) when max_pending requests already wait.
  bool post(Done done);

 private:
  void run();

  NodeLease lease_;  // only list() is called
  const std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Done> pending_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace roomctl::cluster
