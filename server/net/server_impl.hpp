// Server::Impl, the state of one `roomctl serve` process, shared by the files that run it:
//  server.cpp           construction (wiring the layers), run(), the periodic ticks
//  server_status.cpp    what the process says about itself: stats, load, readiness, node info
//  server_shutdown.cpp  SIGTERM/SIGINT: drain, hand-over in a cluster, 1012, final flush
// Private to server/net: nothing else includes it.
#pragma once

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "server/cluster/node_lease.hpp"
#include "server/cluster/node_list_reader.hpp"
#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/net/admin_api.hpp"
#include "server/net/listener.hpp"
#include "server/net/server.hpp"
#include "server/net/server_context.hpp"
#include "server/net/shard.hpp"
#include "server/runtime/abuse_limits.hpp"
#include "server/runtime/cluster_node.hpp"
#include "server/runtime/direct_messages.hpp"
#include "server/runtime/dispatcher.hpp"
#include "server/runtime/identity_guard.hpp"
#include "server/runtime/persistence.hpp"
#include "server/runtime/presence.hpp"
#include "server/runtime/room_service.hpp"
#include "server/runtime/store_worker.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/store/redis_store.hpp"
#include "server/store/state_store.hpp"
#include "server/util/clock.hpp"

namespace roomctl::net {

namespace asio = boost::asio;

class Server::Impl {
 public:
  explicit Impl(config::ServeOptions o);
  static runtime::DmOptions dm_options(const config::ServeOptions& o);
  int run();

  // Ticks on shard 0 (server.cpp).
  void schedule_ping();
  void schedule_presence();
  void schedule_sweep();

  // Status (server_status.cpp).
  void set_admin_drain(bool on);
  std::string stats_json();
  // The autoscaling signal (roomctl_node_load_ratio, and a cluster node's load in its lease):
  // the highest of connections, rooms, memory and event-loop lag against their limits.
  double load_ratio(std::int64_t connections, std::int64_t room_count);
  // This node as the cluster sees it: where it is reached and how loaded it is (the highest of
  // its connection, room and memory ratios against their limits).
  cluster::NodeInfo node_info();
  // Public sockets the open-files limit allows once limits.fd_reserve descriptors are kept for the
  // store, the admin API and the logs; 0 (no budget) when the reserve is 0.
  std::int64_t fd_budget();
  std::string not_ready_reason();

  // Shutdown (server_shutdown.cpp).
  void begin_shutdown(const char* why);
  // Cluster drain and shutdown: every room is handed over to the live nodes (its messages held,
  // its snapshot written, then moved), then the local sockets close with 1012 spread over
  // cluster.drain_spread, so that their reconnects through the load balancer do not stampede.
  // `then` runs on shard 0 once the last close is queued; without `then` (an admin drain) the
  // sockets stay open.
  void leave_cluster(std::function<void()> then);
  void close_spread(std::function<void()> then);
  void wait_for_connections();
  // Every room hands over its latest snapshot, then the writer flushes its queue to the store.
  void finish_shutdown(const char* why);

  // The store of a cluster node (cluster.enabled requires a redis:// store.url).
  store::RedisStore* redis_store() { return static_cast<store::RedisStore*>(store.get()); }

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

}  // namespace roomctl::net
