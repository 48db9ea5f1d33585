// Test harness: HAProxy or nginx in front of roomctl nodes, started from the shipped recipes
// (deploy/haproxy.cfg with its environment variables, deploy/nginx.conf with its placeholders
// substituted) on free loopback ports, in a temporary directory that holds its logs.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <string>
#include <vector>

namespace roomctl::test {

enum class Balancer { none, haproxy, nginx };

const char* balancer_name(Balancer b);

class BalancerProcess {
 public:
  struct Node {
    std::uint16_t port = 0, admin_port = 0;  // on 127.0.0.1
  };
  // Exactly three nodes (the recipes' count). check_interval_ms: HAProxy's check interval
  // (fall 2, rise 2); nginx has no active checks. Returns once the balancer answers and, for
  // HAProxy, has seen every node pass a check.
  BalancerProcess(Balancer kind, std::vector<Node> nodes, int check_interval_ms = 100);
  ~BalancerProcess();
  BalancerProcess(const BalancerProcess&) = delete;
  BalancerProcess& operator=(const BalancerProcess&) = delete;

  Balancer kind() const { return kind_; }
  std::uint16_t port() const { return port_; }
  // HAProxy's stats frontend (/stats, /healthz, /metrics); 0 for nginx.
  std::uint16_t stats_port() const { return stats_port_; }
  // HAProxy's view of node i (0-based) in `backend`: "UP", "DOWN", "MAINT", ... ("" if unknown).
  std::string server_status(int i, const std::string& backend = "roomctl_rooms") const;
  // Waits until server_status(i) == status.
  bool wait_status(int i, const std::string& status, int timeout_ms = 5000) const;
  std::string log() const;  // the balancer's output and logs (for failure messages)
  const std::string& dir() const { return dir_; }

 private:
  void start_haproxy(const std::vector<Node>& nodes, int check_interval_ms);
  void start_nginx(const std::vector<Node>& nodes);
  void spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env);
  void wait_ready(const std::vector<Node>& nodes);
  void stop();

  Balancer kind_;
  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0, stats_port_ = 0;
};

// The path of an executable found on PATH or in the system directories (/usr/sbin, /sbin),
// where Debian puts haproxy and nginx; "" when absent.
std::string find_program(const std::string& name);

}  // namespace roomctl::test
