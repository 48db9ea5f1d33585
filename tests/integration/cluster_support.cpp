// Cluster: the processes of a cluster test and the ways a test breaks them.
#include "tests/integration/cluster_support.hpp"

#include <signal.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "tests/integration/test_support.hpp"

namespace roomctl::test {

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  if (options_.nodes < 1) throw std::runtime_error("a cluster needs a node");
  if (options_.balancer != Balancer::none && options_.nodes != 3)
    throw std::runtime_error("the balancer recipes front exactly three nodes");
  nodes_.resize(static_cast<std::size_t>(options_.nodes));
  for (auto& n : nodes_) {
    n.port = free_port();
    n.admin_port = free_port();
  }
  for (int i = 0; i < size(); ++i) start_fresh_node(i);
  for (int i = 0; i < size(); ++i) wait_ready(i);
  for (int i = 0; i < size(); ++i) wait_alive(i);
  if (options_.balancer == Balancer::none) return;
  std::vector<BalancerProcess::Node> backends;
  for (const auto& n : nodes_) backends.push_back({n.port, n.admin_port});
  balancer_ =
      std::make_unique<BalancerProcess>(options_.balancer, backends, options_.check_interval_ms);
}

Cluster::~Cluster() {
  // The balancer first: it would otherwise log every node's death.
  balancer_.reset();
  for (auto& n : nodes_) n.process.reset();  // SIGKILL ends a paused node too
}

BalancerProcess& Cluster::balancer() {
  if (!balancer_) throw std::runtime_error("this cluster has no balancer");
  return *balancer_;
}

std::uint16_t Cluster::lb_port() const {
  if (!balancer_) throw std::runtime_error("this cluster has no balancer");
  return balancer_->port();
}

ServerProcess& Cluster::node(int i) {
  auto& n = nodes_.at(static_cast<std::size_t>(i));
  if (!n.process) throw std::runtime_error(node_id(i) + " is not running");
  return *n.process;
}

void Cluster::start_node(int i) {
  auto& n = nodes_.at(static_cast<std::size_t>(i));
  std::vector<std::string> settings{
      "server.listen=127.0.0.1:" + std::to_string(n.port),
      "admin.listen=127.0.0.1:" + std::to_string(n.admin_port),
      "server.node_id=" + node_id(i),
      "cluster.enabled=true",
      // A killed node's rooms move, and its id is free again, within 1.5 s (production: 3 s).
      "cluster.lease_ttl=1500ms",
      "store.url=" + redis_.url(),
  };
  settings.insert(settings.end(), options_.settings.begin(), options_.settings.end());
  n.process = std::make_unique<ServerProcess>(settings);
}

// A first start on ports another test took between free_port() and the bind (ctest runs tests
// in parallel) tries fresh ports; a restart keeps its ports (the balancer knows them).
void Cluster::start_fresh_node(int i) {
  for (int attempt = 0;; ++attempt) {
    try {
      return start_node(i);
    } catch (const std::exception& e) {
      if (attempt >= 3 || std::string(e.what()).find("Address already in use") == std::string::npos)
        throw;
      auto& n = nodes_.at(static_cast<std::size_t>(i));
      n.port = free_port();
      n.admin_port = free_port();
    }
  }
}

ServerProcess& Cluster::add_node() {
  if (balancer_) throw std::runtime_error("the balancer recipes front exactly three nodes");
  nodes_.emplace_back();
  nodes_.back().port = free_port();
  nodes_.back().admin_port = free_port();
  int i = size() - 1;
  start_fresh_node(i);
  wait_ready(i);
  for (int k = 0; k < size(); ++k)
    if (running(k)) wait_alive(k);
  return node(i);
}

void Cluster::wait_alive(int i) {
  double alive = 0;
  for (int k = 0; k < size(); ++k) alive += running(k) ? 1 : 0;
  if (!eventually([&] { return node(i).metric("roomctl_cluster_nodes_alive") == alive; },
                  std::chrono::seconds(10)))
    throw std::runtime_error(node_id(i) + " does not see the cluster: " + node(i).log());
}

std::vector<std::uint16_t> Cluster::ports() const {
  std::vector<std::uint16_t> p;
  for (const auto& n : nodes_) p.push_back(n.port);
  return p;
}

double Cluster::sum(const std::string& sample) const {
  double total = 0;
  for (const auto& n : nodes_)
    if (n.process && !n.paused) total += std::max(0.0, n.process->metric(sample));
  return total;
}

void Cluster::wait_ready(int i) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!ready(i)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(node_id(i) + " not ready: " + node(i).log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Cluster::kill(int i) {
  node(i).signal(SIGKILL);
  node(i).wait();
  nodes_.at(static_cast<std::size_t>(i)).process.reset();
  nodes_.at(static_cast<std::size_t>(i)).paused = false;
}

void Cluster::stop(int i) {
  resume(i);
  node(i).signal(SIGTERM);
  if (node(i).wait() < 0) {
    node(i).signal(SIGKILL);
    node(i).wait();
  }
  nodes_.at(static_cast<std::size_t>(i)).process.reset();
}

void Cluster::pause(int i) {
  node(i).signal(SIGSTOP);
  nodes_.at(static_cast<std::size_t>(i)).paused = true;
}

void Cluster::resume(int i) {
  auto& n = nodes_.at(static_cast<std::size_t>(i));
  if (!n.paused) return;
  node(i).signal(SIGCONT);
  n.paused = false;
}

void Cluster::restart(int i) {
  if (running(i)) throw std::runtime_error(node_id(i) + " is still running");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    try {
      start_node(i);
      break;
    } catch (const std::runtime_error& e) {
      // The killed process's lease has not expired yet: the node refuses its id until it has.
      bool held =
          std::string(e.what()).find("is held by another live process") != std::string::npos;
      if (!held || std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  wait_ready(i);
  wait_alive(i);
  if (balancer_ && balancer_->kind() == Balancer::haproxy && !balancer_->wait_status(i, "UP"))
    throw std::runtime_error(node_id(i) + " restarted but HAProxy keeps it out: " + logs());
}

void Cluster::drain(int i) {
  auto r = http_request(admin_port(i), "POST", "/admin/drain");
  if (r.status != 200) throw std::runtime_error("drain " + node_id(i) + ": " + r.body);
}

void Cluster::undrain(int i) {
  auto r = http_request(admin_port(i), "POST", "/admin/resume");
  if (r.status != 200) throw std::runtime_error("resume " + node_id(i) + ": " + r.body);
}

bool Cluster::ready(int i) const {
  return running(i) && !nodes_.at(static_cast<std::size_t>(i)).paused &&
         http_get(admin_port(i), "/readyz").status == 200;
}

int Cluster::connections(int i) const {
  if (!running(i) || nodes_.at(static_cast<std::size_t>(i)).paused) return -1;
  return static_cast<int>(
      nodes_.at(static_cast<std::size_t>(i)).process->metric("roomctl_connections"));
}

std::vector<int> Cluster::connection_counts() const {
  std::vector<int> counts;
  for (int i = 0; i < size(); ++i) counts.push_back(connections(i));
  return counts;
}

int Cluster::node_of(const std::function<void()>& connect, std::chrono::milliseconds timeout) {
  auto before = connection_counts();
  connect();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto now = connection_counts();
    int rose = -1, count = 0;
    for (int i = 0; i < size(); ++i) {
      if (now[static_cast<std::size_t>(i)] > before[static_cast<std::size_t>(i)]) {
        rose = i;
        ++count;
      }
    }
    if (count == 1) return rose;
    if (count > 1 || std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Cluster::Landed Cluster::connect_lb(const std::string& path) {
  Landed landed;
  landed.node = node_of([&] {
    landed.ws = std::make_unique<WsClient>();
    landed.ws->connect("127.0.0.1", lb_port(), path);
  });
  return landed;
}

std::string Cluster::logs() const {
  std::string out;
  for (int i = 0; i < size(); ++i)
    if (running(i))
      out += "--- " + node_id(i) + "\n" + nodes_[static_cast<std::size_t>(i)].process->log();
  if (balancer_)
    out += std::string("--- ") + balancer_name(balancer_->kind()) + "\n" + balancer_->log();
  return out;
}

}  // namespace roomctl::test
