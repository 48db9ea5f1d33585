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
}  // namespace roomctl::runtime

namespace roomctl::net {

class AdminApi;

struct ServerContext {
  const config::ServeOptions& options;
  metrics::ServerMetrics& metrics;
  runtime::Dispatcher& dispatcher;
  AdminApi& admin;
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::uint64_t> next_connection_id{1};

  // Live WebSocket connections by id (weak: the session owns itself).
  std::mutex connections_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<runtime::Outbox>> connections;

  void for_each_connection(const std::function<void(runtime::Outbox&)>& fn);
};

}  // namespace roomctl::net
