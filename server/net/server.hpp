// `roomctl serve`: wires the layers together, owns the I/O threads, the periodic ticks
// (app ping, presence flush, sweeper) and the graceful shutdown on SIGTERM/SIGINT.
#pragma once

#include <memory>

#include "server/config/serve_options.hpp"

namespace roomctl::net {

class Server {
 public:
  explicit Server(config::ServeOptions options);
  ~Server();
  // Blocks until shutdown; returns the process exit code.
  int run();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomctl::net
