// Server wiring and lifecycle.
//  start: bind both listeners (port 0 = any; the log line `server_listening` says which),
//         start the ticks, run one shard (io_context + thread) per server.threads.
//  stop:  readyz 503 at once, stop accepting, close every connection with 1012 after its pending
//         frames, flush the store, exit 0 once all connections are gone or the deadline passes.
#include "server/net/server.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "server/cluster/node_list_reader.hpp"
#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/net/admin_api.hpp"
#include "server/net/listener.hpp"
#include "server/net/shard.hpp"
#include "server/net/ws_session.hpp"
#include "server/protocol/replies.hpp"
#include "server/runtime/abuse_limits.hpp"
#include "server/runtime/cluster_node.hpp"
#include "server/runtime/direct_messages.hpp"
#include "server/runtime/dispatcher.hpp"
#include "server/runtime/identity_guard.hpp"
#include "server/runtime/persistence.hpp"
#include "server/runtime/presence.hpp"
#include "server/runtime/room.hpp"
#include "server/runtime/room_service.hpp"
#include "server/runtime/store_worker.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/store/redis_connection.hpp"
#include "server/store/redis_store.hpp"
#include "server/store/state_store.hpp"
#include "server/util/build_info.hpp"
#include "server/util/clock.hpp"
#include "server/util/log.hpp"
#include "server/util/process_stats.hpp"
#include "server/util/sd_notify.hpp"

namespace roomctl::net {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class Server::Impl {
 public:
  explicit Impl(config::ServeOptions o)
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
        dispatcher({static_cast<std::size_t>(options.limits.max_id_length)}, directory, presence,
                   dms, rooms, metrics, identity, abuse),
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
      identity.set_observer([this](const std::string& user, const std::string& digest) {
        cluster->secret_changed(user, digest);
      });
      cluster->set_secret_hooks(
          {[this](const std::string& user) { return identity.digest_of(user); },
           [this](const std::string& user, const std::string& digest) {
             identity.remember(user, digest);
           }});
    }
  }

  // The store of a cluster node (cluster.enabled requires a redis:// store.url).
  store::RedisStore* redis_store() { return static_cast<store::RedisStore*>(store.get()); }

  static runtime::DmOptions dm_options(const config::ServeOptions& o) {
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

  void set_admin_drain(bool on) {
    rooms.set_admin_drain(on);
    // A cluster node that drains hands its rooms to the other nodes; its players play on through
    // it (as a gateway) until it stops, when they are closed over cluster.drain_spread.
    if (on && cluster && !left_cluster.exchange(true)) leave_cluster(nullptr);
    metrics.draining.set(on || ctx.shutting_down ? 1 : 0);
    metrics.ready.set(on || ctx.shutting_down ? 0 : 1);
    log::info(on ? "drain_started" : "drain_stopped");
    if (!ctx.shutting_down)
      util::sd_notify(on ? "STATUS=drained by an operator" : "STATUS=serving");
  }

  std::string stats_json() {
    namespace json = boost::json;
    auto o = rooms.stats();
    const auto& l = options.limits;
    o["version"] = ROOMCTL_VERSION;
    o["commit"] = build_info().commit;
    o["connections"] = ctx.open_connections.load();
    o["usersOnline"] = directory.online_count();
    o["usersKnown"] = directory.known_count();
    o["store"] = store->describe();
    o["storeHealthy"] = persistence.healthy() && store_worker.health_problem().empty();
    o["quarantinedRooms"] = rooms.quarantined();
    o["ready"] = not_ready_reason().empty();
    o["uptimeMs"] = wall_now_ms() - started_at;
    o["rssBytes"] = process_rss_bytes();
    o["limits"] = {{"maxConnections", l.max_connections},
                   {"maxRooms", l.max_rooms},
                   {"maxPlayersPerRoom", l.max_players_per_room},
                   {"maxMessageBytes", l.max_message_bytes},
                   {"messagesPerSecond", l.messages_per_second},
                   {"memoryHighWatermarkBytes", l.memory_high_watermark_bytes}};
    return json::serialize(o);
  }

  // The autoscaling signal (roomctl_node_load_ratio, and a cluster node's load in its lease):
  // the highest of connections, rooms, memory and event-loop lag against their limits.
  double load_ratio(std::int64_t connections, std::int64_t room_count) {
    const auto& l = options.limits;
    auto ratio = [](double v, double limit) { return limit > 0 ? v / limit : 0.0; };
    return std::max(
        {ratio(static_cast<double>(connections), static_cast<double>(l.max_connections)),
         ratio(static_cast<double>(room_count), static_cast<double>(l.max_rooms)),
         ratio(static_cast<double>(process_rss_bytes()),
               static_cast<double>(l.memory_high_watermark_bytes)),
         ratio(last_lag_seconds.load(), 0.1)});
  }

  // This node as the cluster sees it: where it is reached and how loaded it is (the highest of
  // its connection, room and memory ratios against their limits).
  cluster::NodeInfo node_info() {
    // The addresses are fixed once the listeners are bound (run()): the lease keeper's thread
    // asks for them while shard 0 may be closing a listener (shutdown).
    cluster::NodeInfo n;
    n.id = options.node_id;
    {
      std::lock_guard lock(addresses_mutex);
      n.ws_address = ws_address;
      n.admin_address = admin_address;
    }
    n.rooms = static_cast<std::int64_t>(rooms.size());
    n.connections = ctx.open_connections.load();
    n.load = load_ratio(n.connections, n.rooms);
    return n;
  }

  // Public sockets the open-files limit allows once limits.fd_reserve descriptors are kept for the
  // store, the admin API and the logs; 0 (no budget) when the reserve is 0.
  std::int64_t fd_budget() {
    const auto& l = options.limits;
    rlimit rl{};
    if (l.fd_reserve == 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
      return 0;
    auto budget = std::max<std::int64_t>(1, static_cast<std::int64_t>(rl.rlim_cur) - l.fd_reserve);
    if (l.max_connections + l.max_pending_handshakes > budget)
      log::warn("fd_limit_below_connection_limit",
                {{"open_files_limit", std::to_string(rl.rlim_cur)},
                 {"fd_reserve", std::to_string(l.fd_reserve)},
                 {"max_connections", std::to_string(l.max_connections)},
                 {"effective_max_sockets", std::to_string(budget)}});
    return budget;
  }

  std::string not_ready_reason() {
    if (ctx.shutting_down.load()) return "shutting down";
    if (rooms.admin_drain()) return "draining";
    // Cached answers only: readyz must not wait for a store that hangs.
    if (auto problem = store_worker.health_problem(); !problem.empty()) return problem;
    if (!persistence.healthy()) return "state store writes are failing (" + store->describe() + ")";
    if (cluster) return cluster->not_ready_reason();
    return "";
  }

  int run() {
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
    admin_listener = std::make_shared<Listener>(shards, options.admin_listen, ctx,
                                                HttpSession::Role::admin_port);
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

  void schedule_ping() {
    ping_timer.expires_after(std::chrono::milliseconds(options.app_ping_interval_ms));
    ping_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || ctx.shutting_down) return;
      auto ping = protocol::ping_frame();
      ctx.for_each_connection([&](runtime::Outbox& c) { c.send(ping); });
      schedule_ping();
    });
  }

  void schedule_presence() {
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
  void schedule_sweep() {
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

  void begin_shutdown(const char* why) {
    if (ctx.shutting_down.exchange(true)) return;
    log::info("shutdown_started",
              {{"signal", why}, {"connections", std::to_string(ctx.open_connections.load())}});
    metrics.ready.set(0);
    metrics.draining.set(1);
    util::sd_notify(std::string("STOPPING=1\nSTATUS=draining after ") + why);
    public_listener->stop();
    ping_timer.cancel();
    presence.flush();
    dispatcher.set_restarting();
    shutdown_deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.shutdown_deadline_ms);
    signals.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) finish_shutdown("second signal");
    });
    // A cluster node hands its rooms over first; its players then reconnect elsewhere.
    if (cluster) return leave_cluster([this] { wait_for_connections(); });
    ctx.for_each_connection([](runtime::Outbox& c) {
      c.close(runtime::close_code::service_restart, "server restarting");
    });
    wait_for_connections();
  }

  // Cluster drain and shutdown: every room is handed over to the live nodes (its messages held,
  // its snapshot written, then moved), then the local sockets close with 1012 spread over
  // cluster.drain_spread, so that their reconnects through the load balancer do not stampede.
  // `then` runs on shard 0 once the last close is queued; without `then` (an admin drain) the
  // sockets stay open.
  void leave_cluster(std::function<void()> then) {
    auto started = std::chrono::steady_clock::now();
    std::size_t paused = cluster->pause_rooms();
    rooms.freeze_all([this, then, started, paused] {
      if (!persistence.drain(std::chrono::milliseconds(2000)))
        log::warn("handover_store_not_drained", {{"store", store->describe()}});
      cluster->hand_over_paused([this, then, started, paused](std::size_t moved, std::size_t kept) {
        asio::post(shards[0].ioc(), [this, then, started, paused, moved, kept] {
          auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
          log::info("rooms_handed_over", {{"rooms", std::to_string(paused)},
                                          {"moved", std::to_string(moved)},
                                          {"kept", std::to_string(kept)},
                                          {"ms", std::to_string(ms)}});
          if (then) close_spread(then);
        });
      });
    });
  }

  void close_spread(std::function<void()> then) {
    auto left = std::make_shared<std::vector<std::weak_ptr<runtime::Outbox>>>();
    {
      std::lock_guard lock(ctx.connections_mutex);
      for (auto& [id, weak] : ctx.connections) left->push_back(weak);
    }
    const Millis step_ms = 50;
    auto steps = std::max<Millis>(1, options.cluster_drain_spread_ms / step_ms);
    auto per_step = static_cast<std::size_t>((left->size() + steps - 1) / steps);
    auto step = std::make_shared<std::function<void()>>();
    *step = [this, left, per_step, step_ms, then, step] {
      for (std::size_t i = 0; i < per_step && !left->empty(); ++i) {
        if (auto c = left->back().lock())
          c->close(runtime::close_code::service_restart, "server restarting");
        left->pop_back();
      }
      if (left->empty()) {
        // Clearing *step destroys this very lambda and its captures: keep `then` first.
        auto done = then;
        *step = nullptr;  // breaks the cycle
        return done();
      }
      spread_timer.expires_after(std::chrono::milliseconds(step_ms));
      spread_timer.async_wait([step](boost::system::error_code ec) {
        if (!ec && *step) (*step)();
      });
    };
    (*step)();
  }

  void wait_for_connections() {
    if (ctx.open_connections.load() == 0) return finish_shutdown("all connections closed");
    if (std::chrono::steady_clock::now() >= shutdown_deadline) return finish_shutdown("deadline");
    shutdown_timer.expires_after(20ms);
    shutdown_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) wait_for_connections();
    });
  }

  // Every room hands over its latest snapshot, then the writer flushes its queue to the store.
  void finish_shutdown(const char* why) {
    if (finishing) return;
    finishing = true;
    log::info("shutdown_flush",
              {{"reason", why}, {"connections", std::to_string(ctx.open_connections.load())}});
    sweep_timer.cancel();
    presence_timer.cancel();
    signals.cancel();
    rooms.flush_all([this] {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          shutdown_deadline - std::chrono::steady_clock::now());
      bool drained = persistence.drain(std::max(left, std::chrono::milliseconds(500))) &&
                     store_worker.drain(std::chrono::milliseconds(500));
      if (!drained) {
        log::error("store_not_drained", {{"store", store->describe()}});
        exit_code = 1;
      }
      admin_listener->stop();
      if (cluster) cluster->stop();  // releases the lease: the other nodes let our users go
      shards.stop();
    });
  }

  config::ServeOptions options;
  Shards shards;
  metrics::Registry registry;
  metrics::ServerMetrics metrics;
  runtime::UserDirectory directory;
  runtime::Presence presence;
  std::unique_ptr<store::StateStore> store;
  runtime::Persistence persistence;
  runtime::RoomService rooms;
  // Declared before the worker that runs its jobs, so the worker (and its jobs) stop first.
  runtime::DirectMessages dms;
  runtime::StoreWorker store_worker;
  runtime::IdentityGuard identity;
  runtime::AbuseLimits abuse;
  runtime::Dispatcher dispatcher;
  std::unique_ptr<cluster::NodeListReader> node_reader;  // cluster mode only: /admin/nodes
  AdminApi admin;
  ServerContext ctx;
  asio::signal_set signals;
  asio::steady_timer ping_timer, presence_timer, sweep_timer, shutdown_timer, spread_timer;
  std::chrono::steady_clock::time_point shutdown_deadline;
  std::shared_ptr<Listener> public_listener, admin_listener;
  std::uint64_t sweeps = 0;
  std::uint64_t store_generation = 0;
  int exit_code = 0;
  bool finishing = false;
  std::atomic<bool> left_cluster{false};    // an admin drain handed the rooms over already
  std::atomic<double> last_lag_seconds{0};  // the sweeper's last event-loop lag
  std::mutex addresses_mutex;
  std::string ws_address, admin_address;  // as bound (or cluster.advertise), for node_info()
  Millis started_at = wall_now_ms();
  // Last: destroyed first, while everything it uses is still there.
  std::unique_ptr<runtime::ClusterNode> cluster;
};

Server::Server(config::ServeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;
int Server::run() {
  return impl_->run();
}

}  // namespace roomctl::net
