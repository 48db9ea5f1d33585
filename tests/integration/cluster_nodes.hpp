// The game tests' name for a cluster without a balancer: `ClusterNodes c(3, settings)`, players
// on `c.ports()`, `c[i]` a node, `c.sum(sample)` a metric over the nodes (cluster_support.hpp
// has the whole fixture: balancers, kill, pause, drain, restart).
#pragma once

#include "tests/integration/cluster_support.hpp"
#include "tests/integration/test_support.hpp"

namespace roomctl::test {

using ClusterNodes = Cluster;

}  // namespace roomctl::test
