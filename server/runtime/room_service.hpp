// The rooms runtime as the dispatcher and the server see it: routes game messages to room actors,
// tells rooms about disconnects, reconnects and expired graces, and runs the sweeper's room work.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/protocol/envelope.hpp"
#include "server/runtime/client.hpp"
#include "server/util/clock.hpp"

namespace boost::asio {
class io_context;
}
namespace roomctl::config {
struct ServeOptions;
}
namespace roomctl::metrics {
struct ServerMetrics;
}
namespace roomctl::store {
class StateStore;
}

namespace roomctl::runtime {

class UserDirectory;
class Presence;
class Persistence;

class RoomService {
 public:
  RoomService(boost::asio::io_context& ioc, const config::ServeOptions& options,
              UserDirectory& directory, Presence& presence, metrics::ServerMetrics& metrics,
              Persistence* persistence = nullptr);
  ~RoomService();

  void handle(Client& client, protocol::Envelope& env, const Frame& raw);
  void disconnected(const std::string& user, const std::vector<std::string>& rooms);
  void reconnected(const std::string& user, const std::vector<std::string>& rooms);
  void grace_expired(const std::string& user, const std::vector<std::string>& rooms);
  // Sweeper work: idle and finished-room expiry, gauges. Called on the sweeper tick.
  void sweep(Millis now);
  std::size_t room_count() const;
  // Recreates every stored room with its game; members start disconnected within their grace.
  // Returns how many rooms were restored.
  std::size_t restore(store::StateStore& store);
  // Asks every room to hand over its snapshot if it changed; `done` runs once all have.
  void flush_all(std::function<void()> done);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomctl::runtime
