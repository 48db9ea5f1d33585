// Test harness: a real redis-server and N real `roomctl serve` nodes of one cluster on free
// loopback ports; the constructor returns once every node sees all the others alive.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

namespace roomctl::test {

// The settings of node i of a cluster on store_url (a redis:// or redis-sentinel:// URL); extra
// settings come last, so that they win (e.g. a longer cluster.lease_ttl).
inline std::vector<std::string> cluster_node_settings(const std::string& store_url, int i,
                                                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> s{"cluster.enabled=true", "cluster.lease_ttl=1500ms",
                             "server.node_id=n" + std::to_string(i), "store.url=" + store_url};
  s.insert(s.end(), extra.begin(), extra.end());
  return s;
}
inline std::vector<std::string> cluster_node_settings(const RedisProcess& redis, int i,
                                                      std::vector<std::string> extra = {}) {
  return cluster_node_settings(redis.url(), i, extra);
}

// Returns once every node sees all of them alive; throws with a node's log otherwise.
inline void wait_cluster_formed(const std::vector<std::unique_ptr<ServerProcess>>& nodes) {
  auto n = static_cast<double>(nodes.size());
  for (const auto& node : nodes)
    if (!eventually([&] { return node->metric("roomctl_cluster_nodes_alive") == n; },
                    std::chrono::seconds(10)))
      throw std::runtime_error("cluster did not form:\n" + node->log());
}

struct ClusterNodes {
  explicit ClusterNodes(int n, std::vector<std::string> extra = {}) {
    for (int i = 0; i < n; ++i)
      nodes.push_back(std::make_unique<ServerProcess>(cluster_node_settings(redis, i, extra)));
    wait_all_alive();
  }
  void wait_all_alive() { wait_cluster_formed(nodes); }
  ServerProcess& operator[](std::size_t i) { return *nodes[i]; }
  // The public port of each node, in order: player i of a test connects to ports[i % size].
  std::vector<std::uint16_t> ports() const {
    std::vector<std::uint16_t> p;
    for (const auto& node : nodes) p.push_back(node->port());
    return p;
  }
  double sum(const std::string& sample) const {
    double total = 0;
    for (const auto& node : nodes) total += std::max(0.0, node->metric(sample));
    return total;
  }

  RedisProcess redis;
  std::vector<std::unique_ptr<ServerProcess>> nodes;
};

}  // namespace roomctl::test
