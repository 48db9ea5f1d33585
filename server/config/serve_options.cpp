// The serve profile's schema (every key, default, bound) and its conversion to ServeOptions.
// profiles/serve/default.yaml documents the same keys for operators; `roomctl check` prints them.
#include "server/config/serve_options.hpp"

#include <unistd.h>

#include <fstream>
#include <thread>

#include "server/config/schema.hpp"
#include "server/config/settings.hpp"
#include "server/store/redis_connection.hpp"

namespace roomctl::config {
namespace {
constexpr double kDay = 86'400'000;

Schema build_schema() {
  Schema s;
  s.add({"server.listen", Type::address, "0.0.0.0:8080", "public WebSocket listener"})
      .add({"server.threads", Type::integer, "0",
            "event-loop threads (shards: connections and rooms pinned to one); 0 = one per core", 0,
            256})
      .add({"server.handshake_timeout", Type::duration, "10s", "HTTP/WebSocket handshake deadline",
            100, kDay})
      .add({"server.idle_timeout", Type::duration, "60s",
            "drop a peer silent this long (WS pings at half)", 1000, kDay})
      .add({"server.app_ping_interval", Type::duration, "30s",
            "interval of ORIG's {\"type\":\"ping\"}", 100, kDay})
      .add({"server.reconnect_grace", Type::duration, "15s",
            "seats kept this long after a disconnect", 0, kDay})
      .add({"server.shutdown_deadline", Type::duration, "10s", "SIGTERM: exit within this", 100,
            600'000})
      .add({"admin.listen", Type::address, "127.0.0.1:9100",
            "admin listener (/healthz /readyz /metrics /admin)"})
      .add({"admin.token", Type::string, "", "bearer token for /admin; empty = loopback only"})
      .add({"admin.token_file", Type::string, "",
            "file holding the bearer token (instead of admin.token)"})
      .add({"admin.allow_reveal", Type::boolean, "false",
            "the token may see secret words (?reveal=true)"})
      .add({"server.node_id", Type::string, "",
            "this node's name in admin answers; empty = host name"})
      .add({"limits.max_connections", Type::integer, "10000", "open WebSocket connections", 1,
            10'000'000})
      .add({"limits.max_message_bytes", Type::bytes, "64KiB", "largest inbound frame/message", 256,
            64 << 20})
      .add({"limits.messages_per_second", Type::number, "30", "per-connection token refill rate",
            0.1, 1e6})
      .add({"limits.message_burst", Type::integer, "60", "per-connection token bucket size", 1,
            1'000'000})
      .add({"limits.send_queue_max_messages", Type::integer, "4096",
            "pending outbound frames before slow-consumer close", 1, 10'000'000})
      .add({"limits.send_queue_max_bytes", Type::bytes, "8MiB",
            "pending outbound bytes before slow-consumer close", 1024, 1LL << 32})
      .add({"limits.send_queue_total_bytes", Type::bytes, "512MiB",
            "all send queues together; above it the largest queues are closed as slow consumers",
            1 << 20, 1LL << 40})
      .add({"limits.max_pending_handshakes", Type::integer, "1000",
            "public connections still in their HTTP upgrade (they count as connections too)", 1,
            1'000'000})
      .add({"limits.max_request_header_bytes", Type::bytes, "8KiB",
            "HTTP request line and headers before the upgrade", 1024, 1 << 20})
      .add({"limits.fd_reserve", Type::integer, "64",
            "file descriptors kept free for the store, the admin API and logs: connections are "
            "refused before the open-files limit minus this",
            0, 100'000})
      .add({"limits.max_rooms", Type::integer, "20000", "rooms on this node", 1, 10'000'000})
      .add({"limits.max_players_per_room", Type::integer, "20",
            "players per room (game caps apply too)", 2, 1000})
      .add({"limits.memory_high_watermark_bytes", Type::bytes, "0",
            "RSS above which no room is created; 0 = off", 0, 1e15})
      .add({"limits.max_chat_length", Type::integer, "1000",
            "bytes of one spy chat message (UTF-8)", 1, 10'000})
      .add({"limits.max_name_length", Type::integer, "32",
            "bytes of a spy player name (UTF-8, cut at a letter)", 1, 1000})
      .add({"limits.max_id_length", Type::integer, "128", "bytes of a userId or roomId", 8, 4096})
      .add({"rooms.idle_timeout", Type::duration, "30m", "remove a room without activity this long",
            1000, 30 * kDay})
      .add({"rooms.finished_ttl", Type::duration, "10m",
            "remove a finished game not restarted within this", 1000, 30 * kDay})
      .add({"rooms.sweep_interval", Type::duration, "1s", "sweeper tick", 10, 60'000})
      .add({"games.time_scale", Type::number, "1.0", "multiplies every game timer (tests use 0.05)",
            0.001, 100})
      .add({"games.spy.word_pairs_file", Type::string, "",
            "civilian,spy pairs, one per line; empty = built in"})
      .add({"games.spy.max_rounds", Type::integer, "10",
            "spy wins after this many rounds; 0 = unlimited", 0, 1000})
      .add({"games.skribble.words_easy_file", Type::string, "",
            "easy words, one per line; empty = built in"})
      .add({"games.skribble.words_medium_file", Type::string, "",
            "medium words, one per line; empty = built in"})
      .add({"games.skribble.words_hard_file", Type::string, "",
            "hard words, one per line; empty = built in"})
      .add({"games.skribble.stroke_log_max_events", Type::integer, "20000",
            "drawing events kept per turn for late joiners", 0, 10'000'000})
      .add({"games.skribble.stroke_log_max_bytes", Type::bytes, "2MiB",
            "drawing bytes kept per turn for late joiners", 0, 1LL << 30})
      .add({"games.skribble.draw_messages_per_second", Type::number, "60",
            "drawing messages per second from the drawer", 1, 100000})
      .add({"games.skribble.draw_burst", Type::integer, "120",
            "drawing message burst from the drawer", 1, 1000000})
      .add({"presence.flush_interval", Type::duration, "100ms",
            "presence changes are coalesced this long", 0, 10'000})
      .add({"presence.full_list_max", Type::integer, "1000",
            "users in the users_online list a newcomer gets; 0 = all (O(N^2) bytes at scale)", 0,
            10'000'000})
      .add({"presence.batch_threshold", Type::integer, "32",
            "more changes than this per flush are sent as one frame", 0, 10'000'000})
      .add({"presence.max_changes_per_flush", Type::integer, "500",
            "users whose changes one flush announces; the rest wait for the next flush", 1,
            10'000'000})
      .add({"presence.frames_per_second", Type::integer, "20000",
            "presence frames queued per second server-wide; a flush defers the next by its "
            "frames / this, and per-user messages fold when they would exceed it; 0 = unbounded",
            0, 100'000'000})
      .add({"dm.ttl", Type::duration, "30d", "queued direct messages expire after this", 1000,
            365 * kDay})
      .add({"dm.max_queue_messages", Type::integer, "1000",
            "messages one offline receiver's queue holds; more are refused (dm_queue_full)", 1,
            10'000'000})
      .add({"dm.max_queue_bytes", Type::bytes, "1MiB", "bytes one offline receiver's queue holds",
            1024, 1LL << 32})
      .add({"dm.delivery_chunk_messages", Type::integer, "100",
            "queued messages sent per step of a delivery (the next after these are written)", 1,
            100'000})
      .add({"dm.delivery_chunk_bytes", Type::bytes, "256KiB",
            "queued bytes sent per step of a delivery", 1024, 1LL << 30})
      .add({"store.max_pending_jobs", Type::integer, "10000",
            "direct-message store operations waiting for the store thread; more are refused", 1,
            10'000'000})
      .add({"store.url", Type::string, "sqlite://roomctl.db",
            "state store: memory://, sqlite://PATH, redis://HOST:PORT/DB or "
            "redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB]"})
      .add({"store.flush_interval", Type::duration, "50ms", "write-behind delay of room snapshots",
            1, 60'000})
      .add({"store.stroke_flush_interval", Type::duration, "1s",
            "how long new strokes may wait before they are durable (appended to the room's stroke "
            "stream with its snapshot) when nothing else in the room changed",
            1, 600'000})
      .add({"cluster.enabled", Type::boolean, "false",
            "run as one node of a cluster sharing store.url (a redis:// or redis-sentinel:// URL): "
            "rooms are owned by "
            "one node, players may connect to any"})
      .add({"cluster.advertise", Type::string, "",
            "host:port other nodes and inspect show for this node; empty = server.listen"})
      .add({"cluster.lease_ttl", Type::duration, "2500ms",
            "a node whose lease was not refreshed this long is dead", 1000, 60'000})
      .add({"cluster.drain_spread", Type::duration, "2s",
            "a draining or stopping node closes its players' sockets (1012) over this long, after "
            "handing its rooms over, so that their reconnects do not stampede",
            0, 60'000})
      .add({"cluster.bus_delay", Type::duration, "1ms",
            "how long a node collects frames for other nodes before one bus message carries them",
            0, 100})
      .add({"log.level",
            Type::string,
            "info",
            "debug, info, warn or error",
            -1e300,
            1e300,
            {"debug", "info", "warn", "error"}})
      .add({"log.format",
            Type::string,
            "text",
            "text (ts level event key=value ...) or json (one object per line, for log shippers)",
            -1e300,
            1e300,
            {"text", "json"}});
  add_auth_schema(s);
  return s;
}
}  // namespace

const Schema& serve_schema() {
  static const Schema schema = build_schema();
  return schema;
}

Endpoint parse_endpoint(const std::string& host_port) {
  auto colon = host_port.rfind(':');
  Endpoint e;
  e.host = host_port.substr(0, colon);
  if (e.host.size() >= 2 && e.host.front() == '[' && e.host.back() == ']')
    e.host = e.host.substr(1, e.host.size() - 2);
  e.port = static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1)));
  return e;
}

std::string serve_refusal(const ServeOptions& o) {
  if (o.auth.mode == "token" && o.auth.secret.empty() && o.auth.public_key_pem.empty())
    return "auth.mode is token but there is no key to check tokens with: set auth.secret (or "
           "auth.secret_file, ROOMCTL_AUTH_SECRET) or auth.public_key_file";
  const auto& h = o.admin_listen.host;
  bool loopback = h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
  if (loopback || !o.admin_token.empty()) return "";
  return "admin.listen " + h + ":" + std::to_string(o.admin_listen.port) +
         " is not a loopback address: set admin.token (or admin.token_file, "
         "ROOMCTL_ADMIN_TOKEN), or listen on 127.0.0.1";
}

namespace {
// The checks open_store would make at start, made here so that `roomctl check` (and serve, with
// exit 2 before anything is bound) reject a store URL the server would not open.
void check_store_url(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return ConfigError("store.url: \"" + url + "\": " + why +
                       " (memory://, sqlite://PATH, redis://HOST:PORT/DB or "
                       "redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB])");
  };
  if (url == "memory://" || url == "memory") return;
  if (url.rfind("sqlite://", 0) == 0) {
    std::string path =
        url.substr(9, url.find('?') == std::string::npos ? std::string::npos : url.find('?') - 9);
    if (path.empty()) throw bad("sqlite needs a file path");
    return;
  }
  if (store::is_redis_url(url)) {
    try {
      store::parse_redis_url(url);
    } catch (const std::runtime_error& e) {
      throw ConfigError(e.what());  // it names the URL and the form expected
    }
    return;
  }
  throw bad("unsupported scheme");
}
}  // namespace

ServeOptions serve_options(const Settings& s) {
  ServeOptions o;
  o.listen = parse_endpoint(s.string("server.listen"));
  o.admin_listen = parse_endpoint(s.string("admin.listen"));
  o.admin_token = s.string("admin.token");
  if (o.admin_token.empty() && !s.string("admin.token_file").empty()) {
    std::ifstream in(s.string("admin.token_file"));
    if (!in) throw ConfigError("admin.token_file: cannot read " + s.string("admin.token_file"));
    std::getline(in, o.admin_token);
    while (!o.admin_token.empty() && std::isspace(static_cast<unsigned char>(o.admin_token.back())))
      o.admin_token.pop_back();
  }
  o.admin_allow_reveal = s.boolean("admin.allow_reveal");
  o.node_id = s.string("server.node_id");
  if (o.node_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    o.node_id = host;
  }
  o.threads = static_cast<int>(s.integer("server.threads"));
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  o.handshake_timeout_ms = s.millis("server.handshake_timeout");
  o.idle_timeout_ms = s.millis("server.idle_timeout");
  o.app_ping_interval_ms = s.millis("server.app_ping_interval");
  o.reconnect_grace_ms = s.millis("server.reconnect_grace");
  o.shutdown_deadline_ms = s.millis("server.shutdown_deadline");
  o.limits.max_connections = s.integer("limits.max_connections");
  o.limits.max_message_bytes = s.integer("limits.max_message_bytes");
  o.limits.messages_per_second = s.number("limits.messages_per_second");
  o.limits.message_burst = s.integer("limits.message_burst");
  o.limits.send_queue_max_messages = s.integer("limits.send_queue_max_messages");
  o.limits.send_queue_max_bytes = s.integer("limits.send_queue_max_bytes");
  o.limits.send_queue_total_bytes = s.integer("limits.send_queue_total_bytes");
  o.limits.max_pending_handshakes = s.integer("limits.max_pending_handshakes");
  o.limits.max_request_header_bytes = s.integer("limits.max_request_header_bytes");
  o.limits.fd_reserve = s.integer("limits.fd_reserve");
  o.limits.max_rooms = s.integer("limits.max_rooms");
  o.limits.max_players_per_room = s.integer("limits.max_players_per_room");
  o.limits.memory_high_watermark_bytes = s.integer("limits.memory_high_watermark_bytes");
  o.limits.max_chat_length = s.integer("limits.max_chat_length");
  o.limits.max_name_length = s.integer("limits.max_name_length");
  o.limits.max_id_length = s.integer("limits.max_id_length");
  o.room_idle_timeout_ms = s.millis("rooms.idle_timeout");
  o.room_finished_ttl_ms = s.millis("rooms.finished_ttl");
  o.sweep_interval_ms = s.millis("rooms.sweep_interval");
  o.time_scale = s.number("games.time_scale");
  o.spy_word_pairs_file = s.string("games.spy.word_pairs_file");
  o.spy_max_rounds = s.integer("games.spy.max_rounds");
  o.skribble_words_files[0] = s.string("games.skribble.words_easy_file");
  o.skribble_words_files[1] = s.string("games.skribble.words_medium_file");
  o.skribble_words_files[2] = s.string("games.skribble.words_hard_file");
  o.stroke_log_max_events = s.integer("games.skribble.stroke_log_max_events");
  o.stroke_log_max_bytes = s.integer("games.skribble.stroke_log_max_bytes");
  o.draw_messages_per_second = s.number("games.skribble.draw_messages_per_second");
  o.draw_burst = s.integer("games.skribble.draw_burst");
  o.presence_flush_interval_ms = s.millis("presence.flush_interval");
  o.presence_full_list_max = s.integer("presence.full_list_max");
  o.presence_batch_threshold = s.integer("presence.batch_threshold");
  o.presence_max_changes_per_flush = s.integer("presence.max_changes_per_flush");
  o.presence_frames_per_second = s.integer("presence.frames_per_second");
  o.dm_ttl_ms = s.millis("dm.ttl");
  o.dm_max_queue_messages = s.integer("dm.max_queue_messages");
  o.dm_max_queue_bytes = s.integer("dm.max_queue_bytes");
  o.dm_delivery_chunk_messages = s.integer("dm.delivery_chunk_messages");
  o.dm_delivery_chunk_bytes = s.integer("dm.delivery_chunk_bytes");
  o.store_max_pending_jobs = s.integer("store.max_pending_jobs");
  o.store_url = s.string("store.url");
  o.cluster_enabled = s.boolean("cluster.enabled");
  o.cluster_advertise = s.string("cluster.advertise");
  o.cluster_lease_ttl_ms = s.millis("cluster.lease_ttl");
  o.cluster_bus_delay_ms = s.millis("cluster.bus_delay");
  o.cluster_drain_spread_ms = s.millis("cluster.drain_spread");
  if (o.cluster_enabled && !store::is_redis_url(o.store_url))
    throw ConfigError(
        "cluster.enabled: a cluster shares its state in Redis: set store.url to "
        "redis://HOST:PORT/DB or redis-sentinel://HOST:PORT[,...]/MASTER_NAME (it is \"" +
        o.store_url + "\")");
  check_store_url(o.store_url);
  o.store_flush_interval_ms = s.millis("store.flush_interval");
  o.store_stroke_flush_interval_ms = s.millis("store.stroke_flush_interval");
  o.log_level = s.string("log.level");
  read_auth_options(s, o.auth, o.abuse);
  o.log_format = s.string("log.format");
  return o;
}

}  // namespace roomctl::config
