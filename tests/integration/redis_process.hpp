// Test harness: a real redis-server on a free loopback port, no persistence, killed at the end.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <string>

namespace roomctl::test {

std::uint16_t free_port();

class RedisProcess {
 public:
  RedisProcess();
  ~RedisProcess();
  void stop();   // SIGKILL: an outage
  void start();  // again, on the same port
  std::uint16_t port() const { return port_; }
  std::string url(int db = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }
  // Runs redis-cli against it; returns its output.
  std::string cli(const std::string& args) const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_;
};

}  // namespace roomctl::test
