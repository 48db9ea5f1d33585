// What every network session needs from the server: options, metrics, the dispatcher and the
// set of live connections (for app pings and shutdown). Light header: no Asio.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "server/config/serve_options.hpp"

namespace roomctl::metrics {
struct ServerMetrics;
class Registry;
}  // namespace roomctl::metrics
namespace roomctl::runtime {
class Dispatcher;
class Outbox;
class IdentityGuard;
class AbuseLimits;
}  // namespace roomctl::runtime

namespace roomctl::net {

class AdminApi;

struct ServerContext {
  const config::ServeOptions& options;
  metrics::ServerMetrics& metrics;
  runtime::Dispatcher& dispatcher;
  AdminApi& admin;
  runtime::IdentityGuard& identity;
  runtime::AbuseLimits& abuse;
  std::atomic<bool> shutting_down{false};  // SIGTERM/SIGINT; not the admin drain
  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::uint64_t> next_connection_id{1};

  // Public connections still in their HTTP upgrade (limits.max_pending_handshakes).
  std::atomic<std::int64_t> pending_handshakes{0};
  // Open public sockets (upgraded or not) allowed by the open-files limit less limits.fd_reserve.
  std::int64_t fd_budget = 0;

  // Bytes in all send queues together, against limits.send_queue_total_bytes.
  std::atomic<std::int64_t> queued_bytes{0};
  std::atomic<bool> shedding{false};  // a shed_send_queues() run is scheduled

  // Live WebSocket connections by id (weak: the session owns itself).
  std::mutex connections_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<runtime::Outbox>> connections;

  void for_each_connection(const std::function<void(runtime::Outbox&)>& fn);
  // Closes the connections with the largest send queues as slow consumers (4002) until the total
  // is back under 90 % of the budget. Runs only when the budget was passed: O(connections) then,
  // nothing on the path of a delivery.
  void shed_send_queues();
};

// One public connection that has not finished its WebSocket upgrade: counted while it lives.
class HandshakeSlot {
 public:
  HandshakeSlot() = default;
  explicit HandshakeSlot(ServerContext& ctx);
  HandshakeSlot(HandshakeSlot&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
  HandshakeSlot& operator=(HandshakeSlot&& other) noexcept;
  ~HandshakeSlot() { release(); }
  void release();

 private:
  ServerContext* ctx_ = nullptr;
};

}  // namespace roomctl::net
