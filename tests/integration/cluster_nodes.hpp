// The game tests' name for a cluster without a balancer: `ClusterNodes c(3, settings)`, players
// on `c.ports()`, `c[i]` a node, `c.sum(sample)` a metric over the nodes (cluster_support.hpp
// has the whole fixture: balancers, kill, pause, drain, restart).
#pragma once

#include "tests/integration/cluster_support.hpp"
#include "tests/integration/test_support.hpp"

namespace roomctl::test {

using ClusterNodes = Cluster;

// Nodes outside the fixture (e.g. on a Sentinel group): the settings of node i of a cluster on
// store_url (a redis:// or redis-sentinel:// URL); extra
// settings come last, so that they win (e.g. a longer cluster.lease_ttl).
inline std::vector<std::string> cluster_node_settings(const std::string& store_url, int i,
                                                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> s{"cluster.enabled=true", "cluster.lease_ttl=1500ms",
                             "server.node_id=n" + std::to_string(i), "store.url=" + store_url};
  s.insert(s.end(), extra.begin(), extra.end());
  return s;
}

// Returns once every node sees all of them alive; throws with a node's log otherwise.
inline void wait_cluster_formed(const std::vector<std::unique_ptr<ServerProcess>>& nodes) {
  auto n = static_cast<double>(nodes.size());
  for (const auto& node : nodes)
    if (!eventually([&] { return node->metric("roomctl_cluster_nodes_alive") == n; },
                    std::chrono::seconds(10)))
      throw std::runtime_error("cluster did not form:\n" + node->log());
}
}  // namespace roomctl::test
