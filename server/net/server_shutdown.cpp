// Graceful shutdown (SIGTERM/SIGINT) and a cluster node leaving: readyz 503 at once, stop
// accepting, hand every room over (cluster) or close every connection with 1012 after its pending
// frames, flush the store, exit once all connections are gone or the deadline passes.

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <vector>

#include "server/net/server_impl.hpp"
#include "server/util/log.hpp"
#include "server/util/sd_notify.hpp"

namespace roomctl::net {

using namespace std::chrono_literals;

void Server::Impl::begin_shutdown(const char* why) {
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

void Server::Impl::leave_cluster(std::function<void()> then) {
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

void Server::Impl::close_spread(std::function<void()> then) {
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

void Server::Impl::wait_for_connections() {
  if (ctx.open_connections.load() == 0) return finish_shutdown("all connections closed");
  if (std::chrono::steady_clock::now() >= shutdown_deadline) return finish_shutdown("deadline");
  shutdown_timer.expires_after(20ms);
  shutdown_timer.async_wait([this](boost::system::error_code ec) {
    if (!ec) wait_for_connections();
  });
}

void Server::Impl::finish_shutdown(const char* why) {
  if (finishing) return;
  finishing = true;
  log::info("shutdown_flush",
            {{"reason", why}, {"connections", std::to_string(ctx.open_connections.load())}});
  sweep_timer.cancel();
  presence_timer.cancel();
  signals.cancel();
  rooms.flush_all([this] {
    if (cluster) cluster->settle_dms();  // before the store's last flush
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

}  // namespace roomctl::net
