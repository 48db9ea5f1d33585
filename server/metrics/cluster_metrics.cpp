// Registration of the cluster node's metrics (names and help texts in one place).
#include "server/metrics/cluster_metrics.hpp"

namespace roomctl::metrics {

ClusterMetrics::ClusterMetrics(Registry& r)
    : messages(r.counter("roomctl_cluster_bus_messages_total",
                         "Bus messages (one per destination node per tick), by direction",
                         {"direction"})),
      bytes(r.counter("roomctl_cluster_bus_bytes_total", "Bus message bytes, by direction",
                      {"direction"})),
      messages_sent(messages.with({"sent"})),
      messages_received(messages.with({"received"})),
      bytes_sent(bytes.with({"sent"})),
      bytes_received(bytes.with({"received"})),
      items(r.counter("roomctl_cluster_bus_items_total",
                      "Items carried by bus messages: room frames, forwarded player messages, "
                      "control messages; by direction",
                      {"kind", "direction"})),
      gaps(r.counter("roomctl_cluster_bus_gaps_total",
                     "Lost room frames noticed from their sequence numbers (each resynchronises "
                     "the room's members here with a fresh state)")
               .with()),
      publish_failures(r.counter("roomctl_cluster_bus_publish_failures_total",
                                 "Ticks whose bus messages could not be published (Redis away)")
                           .with()),
      decode_errors(r.counter("roomctl_cluster_bus_decode_errors_total",
                              "Bus messages that could not be decoded, and items of decoded "
                              "ones that could not be handled (dropped)")
                        .with()),
      publish_seconds(r.histogram("roomctl_cluster_bus_publish_seconds",
                                  "One tick's PUBLISH round trip to Redis",
                                  exponential_buckets(0.00005, 2, 16))
                          .with()),
      forwarded_inputs(r.counter("roomctl_cluster_forwarded_inputs_total",
                                 "Player messages this node forwarded to the room's owner")
                           .with()),
      remote_inputs(r.counter("roomctl_cluster_remote_inputs_total",
                              "Player messages of other nodes' players for rooms this node owns")
                        .with()),
      lookups_skipped(r.counter("roomctl_cluster_lookups_skipped_total",
                                "Player messages for a room of unknown owner answered as for an "
                                "unknown room without asking the registry: busy (too many "
                                "lookups under way, for the node or for the connection) or "
                                "unknown (looked up and not found a moment ago)",
                                {"reason"})),
      remote_members(r.gauge("roomctl_cluster_remote_members",
                             "Users connected to other nodes whose frames this node sends")
                         .with()),
      nodes_alive(
          r.gauge("roomctl_cluster_nodes_alive", "Nodes whose lease this node sees alive").with()),
      lease_held(r.gauge("roomctl_cluster_lease_held", "1 while this node holds its lease").with()),
      rooms_taken_over(r.counter("roomctl_cluster_rooms_taken_over_total",
                                 "Rooms of dead nodes this node claimed and restored")
                           .with()),
      writes_refused(r.counter("roomctl_cluster_writes_refused_total",
                               "Room writes the registry refused because another node owns the "
                               "room now (each stops the room here)")
                         .with()),
      rooms_handed_over(r.counter("roomctl_cluster_rooms_handed_over_total",
                                  "Rooms this node handed over to another (drain, shutdown)")
                            .with()),
      handover_seconds(r.histogram("roomctl_cluster_handover_seconds",
                                   "A drain's hand-over of all rooms: from pausing them (their "
                                   "snapshots written) to the last one moved",
                                   exponential_buckets(0.001, 2, 16))
                           .with()) {
  for (const char* kind : {"frame", "input", "control"})
    for (const char* dir : {"sent", "received"}) items.with({kind, dir});
}

}  // namespace roomctl::metrics
