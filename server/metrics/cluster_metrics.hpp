// The metrics of a cluster node (registered only when cluster.enabled): the bus, forwarding,
// remote members and the node's view of the cluster. No node label: Prometheus's target labels
// tell the nodes apart.
#pragma once

#include "server/metrics/registry.hpp"

namespace roomctl::metrics {

struct ClusterMetrics {
  explicit ClusterMetrics(Registry& r);

  Family<Counter>& messages;  // direction
  Family<Counter>& bytes;     // direction
  Counter& messages_sent;
  Counter& messages_received;
  Counter& bytes_sent;
  Counter& bytes_received;
  Family<Counter>& items;  // kind (frame, input, control), direction (sent, received)
  Counter& gaps;
  Counter& publish_failures;
  Counter& decode_errors;
  Histogram& publish_seconds;
  Counter& forwarded_inputs;
  Counter& remote_inputs;
  Family<Counter>& lookups_skipped;  // reason (busy, unknown)
  Gauge& remote_members;
  Gauge& nodes_alive;
  Gauge& lease_held;
  Counter& rooms_taken_over;
  Counter& writes_refused;
  Counter& rooms_handed_over;
  Histogram& handover_seconds;
};

}  // namespace roomctl::metrics
