// Test harness for the cluster: one real redis-server, N real `roomctl serve` nodes sharing it
// (cluster.enabled, node ids n1..nN, a 1.5 s lease, each with its own public and admin port,
// fixed for the life of the fixture so that a restarted node comes back where the balancer
// expects it), and optionally HAProxy or nginx in front, started from deploy/haproxy.cfg or
// deploy/nginx.conf. Every process runs on free loopback ports and is gone when the fixture is.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/balancer_process.hpp"
#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/ws_client.hpp"

namespace roomctl::test {

struct ClusterOptions {
  Balancer balancer = Balancer::haproxy;
  int nodes = 3;  // exactly 3 with a balancer (the recipes' count)
  // More `--set key=value` for every node (e.g. game timings).
  std::vector<std::string> settings;
  // HAProxy's health-check interval (fall 2, rise 2): a drained or dead node is out after ~2x.
  int check_interval_ms = 100;
};

class Cluster {
 public:
  // Returns when Redis answers, every node's /readyz is 200, every node sees all N alive, and
  // the balancer (if any) routes to every node (HAProxy: each passed a health check).
  explicit Cluster(ClusterOptions options = {});
  // N nodes without a balancer, each with `settings` (the game tests' cluster).
  Cluster(int nodes, std::vector<std::string> settings = {})
      : Cluster(ClusterOptions{Balancer::none, nodes, std::move(settings)}) {}
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  RedisProcess& redis() { return redis_; }
  bool has_balancer() const { return balancer_ != nullptr; }
  BalancerProcess& balancer();    // throws without one
  std::uint16_t lb_port() const;  // where players connect through the balancer
  std::string node_id(int i) const { return "n" + std::to_string(i + 1); }
  std::uint16_t port(int i) const { return nodes_.at(i).port; }
  std::uint16_t admin_port(int i) const { return nodes_.at(i).admin_port; }
  ServerProcess& node(int i);  // throws while the node is not running
  ServerProcess& operator[](std::size_t i) { return node(static_cast<int>(i)); }
  bool running(int i) const { return nodes_.at(i).process != nullptr; }
  // The public port of each node, in order: player i of a test may connect to ports[i % size].
  std::vector<std::uint16_t> ports() const;
  // A /metrics sample summed over the running nodes (absent counts 0).
  double sum(const std::string& sample) const;

  // Node life. i is 0-based (node i is node_id(i)).
  void kill(int i);    // SIGKILL: a crash; its connections are reset
  void stop(int i);    // SIGTERM: a graceful shutdown (readyz 503, 1012 to its players)
  void pause(int i);   // SIGSTOP: a hung node (its sockets stay open)
  void resume(int i);  // SIGCONT
  // Starts a killed or stopped node again, same id and ports, once its old lease is gone (a
  // node refuses to start while its id's lease is live); returns when it is ready, sees every
  // running node alive and, with HAProxy, is back in the balancer.
  void restart(int i);
  // Scale-out (no balancer): one more node, node_id(size()); returns once every node sees it.
  ServerProcess& add_node();
  void drain(int i);        // POST /admin/drain: /readyz 503
  void undrain(int i);      // POST /admin/resume
  bool ready(int i) const;  // /readyz answers 200 (false when not running or paused)

  // Open player connections of node i (roomctl_connections; -1 when not running or paused).
  int connections(int i) const;
  std::vector<int> connection_counts() const;
  // Runs `connect`, which must open one connection, and returns the node whose connection count
  // rose (-1 if none did, or more than one, within `timeout`).
  int node_of(const std::function<void()>& connect,
              std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // A WebSocket through the balancer (path e.g. "/?room=r1") and the node it landed on.
  struct Landed {
    std::unique_ptr<WsClient> ws;
    int node = -1;
  };
  Landed connect_lb(const std::string& path = "/");
  // Every node's log and the balancer's output, for failure messages.
  std::string logs() const;

 private:
  struct Node {
    std::uint16_t port = 0, admin_port = 0;
    std::unique_ptr<ServerProcess> process;
    bool paused = false;  // a stopped process answers nothing: not asked
  };
  void start_node(int i);
  void start_fresh_node(int i);
  void wait_ready(int i);
  void wait_alive(int i);

  ClusterOptions options_;
  RedisProcess redis_;
  std::vector<Node> nodes_;
  std::unique_ptr<BalancerProcess> balancer_;
};

}  // namespace roomctl::test
