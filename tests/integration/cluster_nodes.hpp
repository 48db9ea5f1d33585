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

inline std::vector<std::string> cluster_node_settings(const RedisProcess& redis, int i,
                                                      std::vector<std::string> extra = {}) {
  extra.push_back("cluster.enabled=true");
  extra.push_back("cluster.lease_ttl=1500ms");
  extra.push_back("server.node_id=n" + std::to_string(i));
  extra.push_back("store.url=" + redis.url());
  return extra;
}

struct ClusterNodes {
  explicit ClusterNodes(int n, std::vector<std::string> extra = {}) {
    for (int i = 0; i < n; ++i)
      nodes.push_back(std::make_unique<ServerProcess>(cluster_node_settings(redis, i, extra)));
    wait_all_alive();
  }
  void wait_all_alive() {
    auto n = static_cast<double>(nodes.size());
    for (auto& node : nodes)
      if (!eventually([&] { return node->metric("roomctl_cluster_nodes_alive") == n; },
                      std::chrono::seconds(10)))
        throw std::runtime_error("cluster did not form:\n" + node->log());
  }
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
