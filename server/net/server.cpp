// Server wiring and lifecycle.
//  start: bind both listeners (port 0 = any; the log line `server_listening` says which),
//         start the ticks, run one shard (io_context + thread) per server.threads.
//  stop:  server_shutdown.cpp; what the server reports about itself: server_status.cpp.
#include "server/net/server.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>

#include "server/net/server_impl.hpp"
#include "server/net/ws_session.hpp"
#include "server/protocol/replies.hpp"
#include "server/runtime/room.hpp"
#include "server/store/redis_connection.hpp"
#include "server/util/log.hpp"
#include "server/util/process_stats.hpp"
#include "server/util/sd_notify.hpp"

namespace roomctl::net {

using namespace std::chrono_literals;

Server::Impl::Impl(config::ServeOptions o)
    : options(std::move(o)),
      shards(options.threads),
      metrics(registry),
      presence(directory, metrics, options.presence_flush_interval_ms == 0,
               {static_cast<std::size_t>(options.presence_full_list_max),
                static_cast<std::size_t>(options.presence_batch_threshold),
                static_cast<std::size_t>(options.presence_max_changes_per_flush),
                static_cast<std::size_t>(options.presence_frames_per_second),
                options.presence_flush_interval_ms}),
      store(store::open_store(options.store_url)),
      persistence(*store, metrics),
      rooms([this]() -> asio::io_context& { return shards.for_new_room().ioc(); }, options,
            directory, presence, metrics, persistence),
      dms(dm_options(options), directory, store_worker, metrics),
      store_worker(*store, metrics, static_cast<std::size_t>(options.store_max_pending_jobs)),
      identity(options.auth, metrics),
      abuse(options.abuse, metrics),
      dispatcher({static_cast<std::size_t>(options.limits.max_id_length)}, directory, presence, dms,
                 rooms, metrics, identity, abuse),
      node_reader(options.cluster_enabled ? std::make_unique<cluster::NodeListReader>(
                                                store::parse_redis_url(options.store_url))
                                          : nullptr),
      admin(AdminDeps{registry, rooms, directory, store_worker, options.node_id,
                      options.admin_token, options.admin_allow_reveal,
                      [this] { return not_ready_reason(); },
                      [this](bool on) { set_admin_drain(on); }, [this] { return stats_json(); },
                      &metrics, node_reader.get(), [this] { return node_info(); }}),
      ctx{options, metrics, dispatcher, admin, identity, abuse},
      // Server-wide ticks and signals run on shard 0.
      signals(shards[0].ioc(), SIGINT, SIGTERM),
      ping_timer(shards[0].ioc()),
      presence_timer(shards[0].ioc()),
      sweep_timer(shards[0].ioc()),
      shutdown_timer(shards[0].ioc()),
      spread_timer(shards[0].ioc()) {
  rooms.set_abuse_limits(&abuse);
  if (options.cluster_enabled) {
    runtime::ClusterOptions c;
    c.node_id = options.node_id;
    c.redis = store::parse_redis_url(options.store_url);
    c.lease_ttl_ms = options.cluster_lease_ttl_ms;
    c.bus_delay_ms = options.cluster_bus_delay_ms;
    c.max_id_length = static_cast<std::size_t>(options.limits.max_id_length);
    c.max_message_bytes = static_cast<std::size_t>(options.limits.max_message_bytes);
    c.reconnect_grace_ms = options.reconnect_grace_ms;
    cluster = std::make_unique<runtime::ClusterNode>(
        std::move(c), directory, presence, rooms, registry,
        [this] {
          auto n = node_info();
          return runtime::NodeLoad{n.rooms, n.connections, n.load};
        },
        [this](const std::string& room) { return redis_store()->load_room(room); });
    // Every room write is fenced on the room's epoch in the same script.
    redis_store()->set_fence({options.node_id,
                              [this](const std::string& room) { return cluster->epoch_of(room); },
                              [this](const std::string& room) { cluster->write_refused(room); },
                              [this](const std::string& room) { cluster->write_missing(room); }});
    rooms.set_cluster(cluster.get());
    presence.set_observer([this](runtime::Presence::Change change, const std::string& user) {
      cluster->presence_changed(change, user);
    });
    identity.set_observer([this](const std::string& user, const std::string& digest, Millis at) {
      cluster->secret_changed(user, digest, at);
    });
    cluster->set_secret_hooks(
        {[this](const runtime::ClusterNode::DigestFn& fn) { identity.for_each_issued(fn); },
         [this](const std::string& user, const std::string& digest, Millis at, Millis until) {
           identity.remember(user, digest, at, until);
         }});
  }
}

runtime::DmOptions Server::Impl::dm_options(const config::ServeOptions& o) {
  runtime::DmOptions d;
  d.ttl_ms = o.dm_ttl_ms;
  d.queue = {static_cast<std::size_t>(o.dm_max_queue_messages),
             static_cast<std::size_t>(o.dm_max_queue_bytes)};
  // A chunk never takes more than half of a send queue: the rest is for game and presence
  // frames arriving meanwhile, so a delivery can never make its receiver a slow consumer.
  auto half = [](std::int64_t v) {
    return static_cast<std::size_t>(std::max<std::int64_t>(1, v / 2));
  };
  d.chunk = {std::min(static_cast<std::size_t>(o.dm_delivery_chunk_messages),
                      half(o.limits.send_queue_max_messages)),
             std::min(static_cast<std::size_t>(o.dm_delivery_chunk_bytes),
                      half(o.limits.send_queue_max_bytes))};
  return d;
}

int Server::Impl::run() {
  auto restore_started = std::chrono::steady_clock::now();
  std::size_t restored = rooms.restore(*store);
  log::info("rooms_restored",
            {{"rooms", std::to_string(restored)},
             {"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - restore_started)
                                       .count())}});
  ctx.fd_budget = fd_budget();
  public_listener =
      std::make_shared<Listener>(shards, options.listen, ctx, HttpSession::Role::public_port);
  admin_listener =
      std::make_shared<Listener>(shards, options.admin_listen, ctx, HttpSession::Role::admin_port);
  public_listener->start();
  admin_listener->start();
  auto pub = public_listener->local_endpoint();
  auto adm = admin_listener->local_endpoint();
  {
    auto address = [](const auto& e) {
      return e.address().to_string() + ":" + std::to_string(e.port());
    };
    std::lock_guard lock(addresses_mutex);
    ws_address = options.cluster_advertise.empty() ? address(pub) : options.cluster_advertise;
    admin_address = address(adm);
  }
  if (cluster) cluster->start(ws_address, admin_address);
  log::info("server_listening",
            {{"public", pub.address().to_string() + ":" + std::to_string(pub.port())},
             {"admin", adm.address().to_string() + ":" + std::to_string(adm.port())},
             {"threads", std::to_string(options.threads)},
             {"store", options.store_url},
             {"auth", options.auth.mode}});
  metrics.ready.set(1);
  // Both listeners are bound: a systemd unit of Type=notify is "started" only now.
  util::sd_notify("READY=1\nSTATUS=serving on " + pub.address().to_string() + ":" +
                  std::to_string(pub.port()) + "\nMAINPID=" + std::to_string(getpid()));
  metrics.store_up.set(1);
  metrics.memory_watermark.set(static_cast<double>(options.limits.memory_high_watermark_bytes));
  metrics.max_connections.set(static_cast<double>(options.limits.max_connections));
  registry.on_collect([this] {
    metrics.live_objects.with({"room"}).set(static_cast<double>(runtime::Room::live_count()));
    metrics.live_objects.with({"session"}).set(static_cast<double>(WsSession::live_count()));
  });

  signals.async_wait([this](boost::system::error_code ec, int sig) {
    if (!ec) begin_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  schedule_ping();
  schedule_presence();
  schedule_sweep();

  // Connections check their keep-alive and close deadlines on their shard's ticker: often
  // enough for a quarter of the idle timeout, and for TCP acks of direct messages.
  auto tick_ms = std::clamp<std::int64_t>(options.idle_timeout_ms / 4, 50, 250);
  for (std::size_t i = 0; i < shards.size(); ++i) shards[i].start_ticker(tick_ms);
  shards.run();
  log::info("server_stopped", {{"exit_code", std::to_string(exit_code)}});
  return exit_code;
}

void Server::Impl::schedule_ping() {
  ping_timer.expires_after(std::chrono::milliseconds(options.app_ping_interval_ms));
  ping_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || ctx.shutting_down) return;
    auto ping = protocol::ping_frame();
    ctx.for_each_connection([&](runtime::Outbox& c) { c.send(ping); });
    schedule_ping();
  });
}

void Server::Impl::schedule_presence() {
  if (options.presence_flush_interval_ms == 0) return;
  presence_timer.expires_after(std::chrono::milliseconds(options.presence_flush_interval_ms));
  presence_timer.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    presence.tick(mono_now_ms());
    schedule_presence();
  });
}

// One sweeper tick, like Redis's serverCron: grace expiry, room expiry, DM purge, gauges, and
// the event-loop lag (how late this timer ran compared to its deadline).
void Server::Impl::schedule_sweep() {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.sweep_interval_ms);
  sweep_timer.expires_at(deadline);
  sweep_timer.async_wait([this, deadline](boost::system::error_code ec) {
    if (ec) return;
    auto started = std::chrono::steady_clock::now();
    double lag = std::chrono::duration<double>(started - deadline).count();
    metrics.event_loop_lag.observe(lag);
    last_lag_seconds = lag;
    Millis now = wall_now_ms();
    for (auto& e : directory.expire(now, options.reconnect_grace_ms)) {
      identity.forget(e.user);  // its resume secret ends with its grace
      if (!e.rooms.empty()) rooms.grace_expired(e.user, e.rooms);
    }
    abuse.sweep(now);
    identity.sweep(now);
    rooms.sweep(now);
    ++sweeps;
    if (sweeps % 60 == 0)
      store_worker.post([this, now](store::StateStore& s) {
        try {
          s.purge_expired(now);
        } catch (const std::exception&) {
          metrics.store_failures.with({"dm_purge"}).inc();
        }
      });
    if (sweeps % 10 == 1)
      store_worker.post(
          [this](store::StateStore& s) { metrics.dm_queued.set(static_cast<double>(s.size())); });
    // A store that lost our data (Redis restarted empty, a failover to a server without it)
    // gets every room again, including rooms that do not change any more.
    if (auto g = store_worker.generation(); g != store_generation) {
      store_generation = g;
      log::warn("store_replaced", {{"store", store->describe()}, {"action", "resaving rooms"}});
      rooms.flush_all([] {}, true);
    }
    metrics.users_online.set(static_cast<double>(directory.online_count()));
    metrics.node_load.set(
        load_ratio(ctx.open_connections.load(), static_cast<std::int64_t>(rooms.size())));
    // Bursts (presence storms, mass joins) leave freed memory in malloc's arenas; hand it back
    // to the OS now and then so that RSS tracks live memory (and the watermark means something).
    if (sweeps % 30 == 0) malloc_trim(0);
    metrics.store_up.set(persistence.healthy() ? 1 : 0);
    metrics.sweeper_duration.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    schedule_sweep();
  });
}

Server::Server(config::ServeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;
int Server::run() {
  return impl_->run();
}

}  // namespace roomctl::net
