// The typed configuration of `roomctl serve`, built once from a validated profile.
// Everything below the config layer takes these structs, never the raw Settings.
#pragma once

#include <cstdint>
#include <string>

#include "server/config/auth_options.hpp"

namespace roomctl::config {

class Schema;
class Settings;

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

struct Limits {
  std::int64_t max_connections;
  std::int64_t max_message_bytes;
  double messages_per_second;
  std::int64_t message_burst;
  std::int64_t send_queue_max_messages;
  std::int64_t send_queue_max_bytes;
  std::int64_t send_queue_total_bytes;
  std::int64_t max_pending_handshakes;
  std::int64_t max_request_header_bytes;
  std::int64_t fd_reserve;
  std::int64_t max_rooms;
  std::int64_t max_players_per_room;
  std::int64_t memory_high_watermark_bytes;
  std::int64_t max_chat_length;
  std::int64_t max_name_length;
  std::int64_t max_id_length;
};

struct ServeOptions {
  Endpoint listen;
  Endpoint admin_listen;
  std::string admin_token;
  bool admin_allow_reveal;
  std::string node_id;
  int threads;
  std::int64_t handshake_timeout_ms;
  std::int64_t idle_timeout_ms;  // WebSocket-level: pings at half of it, closes after it
  std::int64_t app_ping_interval_ms;
  std::int64_t reconnect_grace_ms;
  std::int64_t shutdown_deadline_ms;
  Limits limits;
  std::int64_t room_idle_timeout_ms;
  std::int64_t room_finished_ttl_ms;
  std::int64_t sweep_interval_ms;
  double time_scale;
  std::string spy_word_pairs_file;
  std::int64_t spy_max_rounds;
  std::string skribble_words_files[3];  // easy, medium, hard
  std::int64_t stroke_log_max_events;
  std::int64_t stroke_log_max_bytes;
  double draw_messages_per_second;
  std::int64_t draw_burst;
  std::int64_t presence_flush_interval_ms;
  std::int64_t presence_full_list_max;
  std::int64_t presence_batch_threshold;
  std::int64_t presence_max_changes_per_flush;
  std::int64_t presence_frames_per_second;
  std::int64_t dm_ttl_ms;
  std::int64_t dm_max_queue_messages;
  std::int64_t dm_max_queue_bytes;
  std::int64_t dm_delivery_chunk_messages;
  std::int64_t dm_delivery_chunk_bytes;
  std::int64_t store_max_pending_jobs;
  std::string store_url;
  std::int64_t store_flush_interval_ms;
  std::int64_t store_stroke_flush_interval_ms;
  bool cluster_enabled;
  std::string cluster_advertise;  // empty: server.listen
  std::int64_t cluster_lease_ttl_ms;
  std::int64_t cluster_bus_delay_ms;
  std::int64_t cluster_drain_spread_ms;
  std::string log_level;
  AuthOptions auth;
  AbuseOptions abuse;
  std::string log_format;  // text or json
};

const Schema& serve_schema();
ServeOptions serve_options(const Settings& settings);
Endpoint parse_endpoint(const std::string& host_port);
// Why `serve` must not start with these options (empty: it may): an admin listener off loopback
// without a token would let anyone on the network close rooms and kick users; token mode
// without a key would refuse every player.
std::string serve_refusal(const ServeOptions& options);

}  // namespace roomctl::config
