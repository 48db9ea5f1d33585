// Every metric `roomctl serve` exports, created once and passed down by reference.
// Names are roomctl_*, base units, counters end in _total (docs/operations.md lists them).
#pragma once

#include "server/metrics/registry.hpp"

namespace roomctl::metrics {

struct ServerMetrics {
  explicit ServerMetrics(Registry& r);

  Registry& registry;
  Gauge& ready;
  Gauge& draining;  // roomctl_draining: 1 while shutting down or during an admin drain
  Gauge& connections;
  Gauge& max_connections;  // limits.max_connections, for "near the limit" alerts
  Counter& connections_opened;
  Family<Counter>& connections_closed;  // reason
  Gauge& users_online;
  Family<Gauge>& rooms;  // game, phase
  Gauge& players;
  Gauge& node_load;                 // roomctl_node_load_ratio: the autoscaling signal
  Family<Counter>& games_started;   // game
  Family<Counter>& games_finished;  // game, outcome
  Family<Counter>& messages_in;     // family
  Counter& messages_out;
  Counter& socket_writes;
  Counter& bytes_in;
  Counter& bytes_out;
  Counter& fanout_deliveries;
  Family<Counter>& frames_queued;    // family: spy, skribble, presence, dm, error
  Family<Histogram>& game_duration;  // game
  Gauge& memory_watermark;
  Histogram& message_handling;
  Gauge& send_queue_bytes;
  Counter& slow_consumer_closes;
  Family<Counter>& refusals;       // limit
  Family<Counter>& client_errors;  // code
  Family<Counter>& auth_refusals;  // reason: identity proofs, forged frames, unsafe admin requests
  Family<Counter>& rooms_removed;  // reason
  Histogram& sweeper_duration;
  Histogram& store_flush;
  Gauge& store_queue_depth;
  Family<Counter>& store_failures;  // op
  Counter& store_retries;
  Family<Counter>& store_written_bytes;  // what: snapshot, strokes
  Gauge& store_up;
  Gauge& dm_queued;
  Counter& dm_sent_online;
  Counter& dm_queued_total;
  Counter& dm_delivered;
  Counter& presence_frames;
  Histogram& event_loop_lag;
  Gauge& process_rss;
  Counter& process_cpu;
  Gauge& process_fds;
  Gauge& process_start;
  // The same readings under the standard process_* names (Prometheus client libraries'
  // process collector), so community dashboards and alerts work; the roomctl_process_* names
  // stay for existing scrapers (loadtest --server-admin reads the CPU one).
  Gauge& std_rss;
  Gauge& std_virtual;
  Counter& std_cpu;
  Gauge& std_fds;
  Gauge& std_max_fds;
  Gauge& std_start;
  Gauge& store_jobs_queued;
  Family<Counter>& accept_errors;  // reason
  Gauge& pending_handshakes;
  Gauge& rooms_quarantined;
  Counter& send_queue_budget_sheds;
  Counter& dm_requeued;
  Counter& dm_unreplicated;
  Family<Gauge>& live_objects;  // kind: room, session (leak detection in soaks)
};

}  // namespace roomctl::metrics
