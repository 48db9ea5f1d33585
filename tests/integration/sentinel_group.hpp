// Test harness: a Redis Sentinel group on free loopback ports: one master, one replica
// (--replicaof) and three sentinels (quorum 2) watching it as master "m", with a short
// down-after so that a killed master is replaced within seconds. Each sentinel rewrites its own
// config file, so the files live in a temporary directory removed at the end.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/redis_process.hpp"

namespace roomctl::test {

class SentinelGroup {
 public:
  SentinelGroup();
  ~SentinelGroup();
  SentinelGroup(const SentinelGroup&) = delete;
  SentinelGroup& operator=(const SentinelGroup&) = delete;

  // redis-sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/m/DB
  std::string url(int db = 0) const;
  RedisProcess& master() { return *master_; }
  RedisProcess& replica() { return *replica_; }
  // The port every sentinel names as the master now (0 while they disagree or know none).
  std::uint16_t master_port() const;
  // Waits until the sentinels know each other and the replica (a failover needs both).
  void wait_ready() const;

 private:
  std::string dir_;
  std::unique_ptr<RedisProcess> master_, replica_;
  std::vector<std::unique_ptr<RedisProcess>> sentinels_;
};

}  // namespace roomctl::test
