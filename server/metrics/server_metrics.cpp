// Definitions of the server's metrics and the process collector (RSS, CPU, fds from /proc).
#include "server/metrics/server_metrics.hpp"

#include "server/util/build_info.hpp"
#include "server/util/clock.hpp"
#include "server/util/process_stats.hpp"

namespace roomctl::metrics {
namespace {
const std::vector<double> kLatency = exponential_buckets(0.00005, 2, 16);  // 50us .. ~1.6s

}  // namespace

ServerMetrics::ServerMetrics(Registry& r)
    : registry(r),
      ready(r.gauge("roomctl_ready", "1 while the node accepts players (readyz 200)").with()),
      draining(r.gauge("roomctl_draining", "1 while the node drains or shuts down").with()),
      connections(r.gauge("roomctl_connections", "Open WebSocket connections").with()),
      max_connections(
          r.gauge("roomctl_max_connections", "limits.max_connections (open WebSocket connections)")
              .with()),
      connections_opened(
          r.counter("roomctl_connections_opened_total", "WebSocket connections accepted").with()),
      connections_closed(r.counter("roomctl_connections_closed_total",
                                   "WebSocket connections closed, by reason", {"reason"})),
      users_online(r.gauge("roomctl_users_online", "Users with a bound, open connection").with()),
      rooms(r.gauge("roomctl_rooms", "Rooms on this node, by game and phase", {"game", "phase"})),
      players(r.gauge("roomctl_players", "Players seated in rooms on this node").with()),
      node_load(r.gauge("roomctl_node_load_ratio",
                        "The highest of connections, rooms, memory (RSS) and event-loop lag "
                        "against their limits (limits.max_connections, limits.max_rooms, "
                        "limits.memory_high_watermark_bytes, 100 ms of lag): 1 = full")
                    .with()),
      games_started(r.counter("roomctl_games_started_total", "Games started, by game", {"game"})),
      games_finished(r.counter("roomctl_games_finished_total",
                               "Games finished, by game and outcome", {"game", "outcome"})),
      messages_in(r.counter("roomctl_messages_in_total", "Inbound messages, by EventFrom family",
                            {"family"})),
      messages_out(
          r.counter("roomctl_messages_out_total", "Outbound frames written to sockets").with()),
      socket_writes(r.counter("roomctl_socket_writes_total",
                              "Gathered writes to player sockets (frames per write = "
                              "roomctl_messages_out_total / this)")
                        .with()),
      bytes_in(r.counter("roomctl_bytes_in_total", "Inbound payload bytes").with()),
      bytes_out(r.counter("roomctl_bytes_out_total", "Outbound payload bytes written").with()),
      fanout_deliveries(r.counter("roomctl_fanout_deliveries_total",
                                  "Frames queued to room members by broadcasts")
                            .with()),
      frames_queued(r.counter("roomctl_frames_queued_total",
                              "Outbound frames queued to connections, by family", {"family"})),
      game_duration(r.histogram("roomctl_game_duration_seconds",
                                "Duration of finished games, by game",
                                exponential_buckets(1, 2, 14), {"game"})),
      memory_watermark(r.gauge("roomctl_memory_high_watermark_bytes",
                               "limits.memory_high_watermark_bytes (0 = off)")
                           .with()),
      message_handling(r.histogram("roomctl_message_handling_seconds",
                                   "Time to handle one inbound message", kLatency)
                           .with()),
      send_queue_bytes(
          r.gauge("roomctl_send_queue_bytes", "Bytes waiting in all connections' send queues")
              .with()),
      slow_consumer_closes(r.counter("roomctl_slow_consumer_closes_total",
                                     "Connections closed because their send queue overflowed")
                               .with()),
      refusals(
          r.counter("roomctl_refusals_total", "Requests refused by a limit, by limit", {"limit"})),
      client_errors(r.counter("roomctl_client_errors_total",
                              "Error replies sent to clients, by code", {"code"})),
      auth_refusals(r.counter("roomctl_auth_refusals_total",
                              "Refused identities, forged frames and unsafe admin requests, by "
                              "reason",
                              {"reason"})),
      rooms_removed(
          r.counter("roomctl_rooms_removed_total", "Rooms removed, by reason", {"reason"})),
      sweeper_duration(
          r.histogram("roomctl_sweeper_duration_seconds", "Duration of one sweeper tick", kLatency)
              .with()),
      store_flush(
          r.histogram("roomctl_store_flush_seconds", "Duration of one store write batch", kLatency)
              .with()),
      store_queue_depth(
          r.gauge("roomctl_store_queue_depth", "Writes waiting for the store").with()),
      store_failures(
          r.counter("roomctl_store_failures_total", "Failed store operations, by op", {"op"})),
      store_retries(r.counter("roomctl_store_retries_total", "Store operations retried").with()),
      store_written_bytes(r.counter("roomctl_store_written_bytes_total",
                                    "Bytes handed to the store by room writes that it committed, "
                                    "by what: snapshot, strokes (stroke stream rows)",
                                    {"what"})),
      store_up(r.gauge("roomctl_store_up", "1 while the state store answers").with()),
      dm_queued(
          r.gauge("roomctl_dm_queued", "Direct messages waiting for offline receivers").with()),
      dm_sent_online(r.counter("roomctl_dm_sent_online_total",
                               "Direct messages forwarded to an online receiver")
                         .with()),
      dm_queued_total(
          r.counter("roomctl_dm_queued_total", "Direct messages queued for an offline receiver")
              .with()),
      dm_delivered(
          r.counter("roomctl_dm_delivered_total", "Queued direct messages delivered on app_opened")
              .with()),
      presence_frames(
          r.counter("roomctl_presence_frames_total", "Presence frames queued to users").with()),
      event_loop_lag(r.histogram("roomctl_event_loop_lag_seconds",
                                 "Delay between a timer's deadline and its run", kLatency)
                         .with()),
      process_rss(r.gauge("roomctl_process_resident_memory_bytes", "Resident set size").with()),
      process_cpu(
          r.counter("roomctl_process_cpu_seconds_total", "User and system CPU time").with()),
      process_fds(r.gauge("roomctl_process_open_fds", "Open file descriptors").with()),
      process_start(
          r.gauge("roomctl_process_start_time_seconds", "Start time since the Unix epoch").with()),
      std_rss(r.gauge("process_resident_memory_bytes", "Resident memory size in bytes").with()),
      std_virtual(r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes").with()),
      std_cpu(
          r.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds")
              .with()),
      std_fds(r.gauge("process_open_fds", "Number of open file descriptors").with()),
      std_max_fds(r.gauge("process_max_fds", "Maximum number of open file descriptors").with()),
      std_start(r.gauge("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds")
                    .with()),
      store_jobs_queued(r.gauge("roomctl_store_jobs_queued",
                                "Direct-message and health jobs waiting for the store thread")
                            .with()),
      accept_errors(r.counter("roomctl_accept_errors_total",
                              "accept() failures on the listeners, by reason", {"reason"})),
      pending_handshakes(
          r.gauge("roomctl_pending_handshakes", "Public connections not yet upgraded to WebSocket")
              .with()),
      rooms_quarantined(r.gauge("roomctl_rooms_quarantined",
                                "Stored rooms that could not be restored (kept for inspection)")
                            .with()),
      send_queue_budget_sheds(
          r.counter("roomctl_send_queue_budget_sheds_total",
                    "Connections closed because all send queues together passed their budget")
              .with()),
      dm_requeued(r.counter("roomctl_dm_requeued_total",
                            "Live direct messages put back in the queue because the receiver's "
                            "connection closed before writing them")
                      .with()),
      dm_unreplicated(r.counter("roomctl_dm_unreplicated_total",
                                "Queued direct messages no Redis replica acknowledged within the "
                                "wait (store.url names a Sentinel group)")
                          .with()),
      live_objects(r.gauge("roomctl_live_objects",
                           "Objects alive in memory, by kind (room actors, connection sessions)",
                           {"kind"})) {
  const auto& b = build_info();
  r.gauge("roomctl_build_info", "Build information (value 1; the labels say which build)",
          {"version", "commit", "build_type", "compiler", "boost"})
      .with({b.version, b.commit, b.build_type, b.compiler, b.boost})
      .set(1);
  // Label values known in advance are exported at 0 from the start, so that rate() and the
  // dashboards work before the first event.
  for (const char* reason : {"empty", "idle", "finished", "admin", "moved", "handed_over"})
    rooms_removed.with({reason});
  for (const char* limit : {"max_connections",
                            "message_size",
                            "message_rate",
                            "binary_frame",
                            "send_queue",
                            "max_rooms",
                            "memory_watermark",
                            "draining",
                            "handshake_timeout",
                            "pending_handshakes",
                            "fd_budget",
                            "request_header_size",
                            "request_body_size",
                            "dm_queue",
                            "store_queue",
                            "presence_flush",
                            "draw_rate",
                            "stroke_log",
                            "not_drawer",
                            "chat_rate",
                            "quarantined",
                            "rooms_held",
                            "room_creations_user",
                            "room_creations_address",
                            "dm_rate",
                            "identity_rate",
                            "connections_per_address"})
    refusals.with({limit});
  for (const char* reason : {"auth_required", "bad_token", "token_expired", "token_user_mismatch",
                             "resume_secret", "forged_type", "spoofed_sender", "admin_origin",
                             "admin_content_type", "admin_unauthorized"})
    auth_refusals.with({reason});
  for (const char* reason :
       {"peer", "timeout", "replaced", "slow_consumer", "send_queue_budget", "shutdown",
        "binary_frame", "message_too_big", "rate_limit_abuse", "kicked", "write_error",
        "handshake_failed", "max_connections", "protocol_error", "bad_utf8"})
    connections_closed.with({reason});
  // (The games' own labels are registered by the rooms runtime from its game catalogue.)
  for (const char* family : {"dm", "app", "friend", "none"}) messages_in.with({family});
  for (const char* family : {"presence", "dm", "error"}) frames_queued.with({family});
  for (const char* op : {"write_rooms", "restore", "dm_push", "dm_read", "dm_ack", "dm_purge"})
    store_failures.with({op});
  for (const char* what : {"snapshot", "strokes"}) store_written_bytes.with({what});
  for (const char* reason : {"fd_limit", "other"}) accept_errors.with({reason});
  process_start.set(static_cast<double>(wall_now_ms()) / 1000.0);
  std_start.set(process_start.value());
  r.on_collect([this] {
    double rss = static_cast<double>(process_rss_bytes());
    double cpu = process_cpu_seconds();
    double fds = process_open_fds();
    process_rss.set(rss);
    process_cpu.mirror(cpu);
    process_fds.set(fds);
    std_rss.set(rss);
    std_virtual.set(static_cast<double>(process_virtual_bytes()));
    std_cpu.mirror(cpu);
    std_fds.set(fds);
    std_max_fds.set(static_cast<double>(process_max_fds()));
  });
}

}  // namespace roomctl::metrics
