// What a running server says about itself: /stats, the load ratio (roomctl_node_load_ratio and a
// cluster node's lease), its node info, the descriptor budget and why /readyz is not 200.

#include <sys/resource.h>

#include <algorithm>
#include <boost/json.hpp>

#include "server/net/server_impl.hpp"
#include "server/util/build_info.hpp"
#include "server/util/log.hpp"
#include "server/util/process_stats.hpp"
#include "server/util/sd_notify.hpp"

namespace roomctl::net {

void Server::Impl::set_admin_drain(bool on) {
  rooms.set_admin_drain(on);
  // A cluster node that drains hands its rooms to the other nodes; its players play on through
  // it (as a gateway) until it stops, when they are closed over cluster.drain_spread.
  if (on && cluster && !left_cluster.exchange(true)) leave_cluster(nullptr);
  metrics.draining.set(on || ctx.shutting_down ? 1 : 0);
  metrics.ready.set(on || ctx.shutting_down ? 0 : 1);
  log::info(on ? "drain_started" : "drain_stopped");
  if (!ctx.shutting_down) util::sd_notify(on ? "STATUS=drained by an operator" : "STATUS=serving");
}

std::string Server::Impl::stats_json() {
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

double Server::Impl::load_ratio(std::int64_t connections, std::int64_t room_count) {
  const auto& l = options.limits;
  auto ratio = [](double v, double limit) { return limit > 0 ? v / limit : 0.0; };
  return std::max({ratio(static_cast<double>(connections), static_cast<double>(l.max_connections)),
                   ratio(static_cast<double>(room_count), static_cast<double>(l.max_rooms)),
                   ratio(static_cast<double>(process_rss_bytes()),
                         static_cast<double>(l.memory_high_watermark_bytes)),
                   ratio(last_lag_seconds.load(), 0.1)});
}

cluster::NodeInfo Server::Impl::node_info() {
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

std::int64_t Server::Impl::fd_budget() {
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

std::string Server::Impl::not_ready_reason() {
  if (ctx.shutting_down.load()) return "shutting down";
  if (rooms.admin_drain()) return "draining";
  // Cached answers only: readyz must not wait for a store that hangs.
  if (auto problem = store_worker.health_problem(); !problem.empty()) return problem;
  if (!persistence.healthy()) return "state store writes are failing (" + store->describe() + ")";
  if (cluster) return cluster->not_ready_reason();
  return "";
}

}  // namespace roomctl::net
