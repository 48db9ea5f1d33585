// Test harness: a real redis-server on a free loopback port, no persistence, killed at the end;
// extra arguments make it a replica (--replicaof) or, after a config file, a Sentinel.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <string>
#include <vector>

namespace roomctl::test {

std::uint16_t free_port();

class RedisProcess {
 public:
  // args: given to redis-server before the port and the no-persistence options, e.g.
  // {"--replicaof", "127.0.0.1 6379"} or {CONFIG_FILE, "--sentinel"}.
  explicit RedisProcess(std::vector<std::string> args = {});
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
  std::vector<std::string> args_;
};

}  // namespace roomctl::test
