// A minimal HTTP endpoint serving /metrics (Prometheus text) while a load test runs, on its own
// thread. render() is called per scrape.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace roomctl::loadgen {

class MetricsServer {
 public:
  // listen: host:port (port 0 picks one). Throws std::runtime_error when it cannot bind.
  MetricsServer(const std::string& listen, std::function<std::string()> render);
  ~MetricsServer();
  std::string address() const;  // host:port actually bound

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomctl::loadgen
