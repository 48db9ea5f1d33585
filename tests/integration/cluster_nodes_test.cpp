// GET /admin/nodes and `roomctl inspect nodes` against real processes: one node alone answers
// with itself (`cluster: false`); two `roomctl serve` nodes with cluster.enabled on a real
// redis-server each list every node of the cluster from Redis, alive or not: a node stopped with
// SIGTERM (its lease released) and one killed with SIGKILL (its lease left to expire after
// cluster.lease_ttl) are shown not alive. The reader behind the route, against a hung Redis
// (SIGSTOP), keeps at most its bound of requests waiting and answers every one it took.
// Every lease is the one the node itself holds.
#include <signal.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "server/cluster/node_list_reader.hpp"
#include "tests/integration/cluster_nodes.hpp"
#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl;
using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
const char* kToken = "nodes-token";

int inspect(std::uint16_t admin, std::vector<std::string> args, std::string& out) {
  std::vector<std::string> argv{ROOMCTL_BINARY, "inspect", "nodes"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(),
              {"--server", "http://127.0.0.1:" + std::to_string(admin), "--token", kToken});
  return run_command(argv, out);
}

json::object nodes_json(std::uint16_t admin) {
  std::string out;
  int rc = inspect(admin, {"-o", "json"}, out);
  INFO(out);
  REQUIRE(rc == 0);
  return json::parse(out).as_object();
}

const json::object* find(const json::object& answer, const std::string& id) {
  for (const auto& n : answer.at("nodes").as_array())
    if (n.as_object().at("id").as_string() == id) return &n.as_object();
  return nullptr;
}

bool alive(const json::object& answer, const std::string& id) {
  const auto* n = find(answer, id);
  return n && n->at("alive").as_bool();
}

std::vector<std::string> cluster_node(const RedisProcess& redis, const std::string& id) {
  return {"cluster.enabled=true", "server.node_id=" + id, "store.url=" + redis.url(),
          "cluster.lease_ttl=1s", "admin.token=" + std::string(kToken)};
}
}  // namespace

TEST_CASE("nodes: a node outside a cluster answers with itself", "[cluster][inspect]") {
  ServerProcess server({"server.node_id=solo", std::string("admin.token=") + kToken});
  auto answer = nodes_json(server.admin_port());
  CHECK(answer.at("node").as_string() == "solo");
  CHECK(answer.at("cluster").as_bool() == false);
  REQUIRE(answer.at("nodes").as_array().size() == 1);
  const auto& self = answer.at("nodes").as_array()[0].as_object();
  CHECK(self.at("id").as_string() == "solo");
  CHECK(self.at("alive").as_bool());
  CHECK(self.at("leaseTtlMs").is_null());
  CHECK(self.at("wsAddress").as_string() == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(self.at("adminAddress").as_string() == "127.0.0.1:" + std::to_string(server.admin_port()));

  Player p(server.port(), "u1");  // a connection and a room show in its counts
  p.spy("CREATE_ROOM", {{"roomId", "r1"}, {"name", "U1"}});
  REQUIRE(p.next("create_room_response"));
  answer = nodes_json(server.admin_port());
  const auto& counted = answer.at("nodes").as_array()[0].as_object();
  CHECK(counted.at("rooms").as_int64() == 1);
  CHECK(counted.at("connections").as_int64() == 1);

  std::string out;
  CHECK(inspect(server.admin_port(), {}, out) == 0);
  CHECK(out.find("NODE") != std::string::npos);
  CHECK(out.find("solo") != std::string::npos);
  CHECK(out.find("runs alone") != std::string::npos);
  CHECK(inspect(server.admin_port(), {"-o", "yaml"}, out) == 0);
  CHECK(out.find("cluster: false") != std::string::npos);
  // --watch off a terminal: one JSON document per redraw.
  CHECK(inspect(server.admin_port(), {"-w", "--interval", "100ms", "--count", "2", "-o", "json"},
                out) == 0);
  int documents = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '{')
      documents += json::parse(line).as_object().at("node") == "solo" ? 1 : 0;
  CHECK(documents == 2);
  // Usage errors send nothing; no token is a 401 like every /admin route.
  CHECK(inspect(server.admin_port(), {"extra"}, out) == 2);
  CHECK(out.find("takes no argument") != std::string::npos);
  CHECK(http_get(server.admin_port(), "/admin/nodes").status == 401);
}

TEST_CASE("nodes: every node of a cluster lists them all from Redis, and sees them die",
          "[cluster][inspect][redis]") {
  RedisProcess redis;
  ServerProcess n1(cluster_node(redis, "n1"));
  ServerProcess n2(cluster_node(redis, "n2"));
  ServerProcess n3(cluster_node(redis, "n3"));
  // A player on n1: its lease shows the connection after the next refresh.
  auto player = connect_user(n1.port(), "nodes-player");
  for (auto* node : {&n1, &n2, &n3}) {
    auto answer = nodes_json(node->admin_port());
    CHECK(answer.at("cluster").as_bool());
    CHECK(answer.at("alive").as_int64() == 3);
    for (const char* id : {"n1", "n2", "n3"}) CHECK(alive(answer, id));
  }
  auto answer = nodes_json(n2.admin_port());
  const auto* one = find(answer, "n1");
  REQUIRE(one);
  CHECK(one->at("wsAddress").as_string() == "127.0.0.1:" + std::to_string(n1.port()));
  CHECK(one->at("adminAddress").as_string() == "127.0.0.1:" + std::to_string(n1.admin_port()));
  CHECK(one->at("leaseTtlMs").as_int64() > 0);
  CHECK(one->at("leaseTtlMs").as_int64() <= 1000);
  CHECK(eventually([&] {
    auto a = nodes_json(n2.admin_port());
    const auto* n = find(a, "n1");
    return n && n->at("connections").as_int64() == 1;
  }));
  std::string table;
  REQUIRE(inspect(n1.admin_port(), {}, table) == 0);
  INFO(table);
  for (const char* id : {"n1", "n2", "n3"}) CHECK(table.find(id) != std::string::npos);
  CHECK(table.find("3 of 3 nodes alive") != std::string::npos);

  // SIGTERM: a clean stop releases the lease at once.
  n2.signal(SIGTERM);
  CHECK(n2.wait() == 0);
  CHECK(eventually([&] { return !alive(nodes_json(n1.admin_port()), "n2"); }, 3s));
  // SIGKILL: nothing releases the lease; it expires after cluster.lease_ttl and the node stays
  // listed, not alive.
  n3.signal(SIGKILL);
  n3.wait();
  REQUIRE(eventually(
      [&] {
        auto a = nodes_json(n1.admin_port());
        return find(a, "n3") && !alive(a, "n3");
      },
      4s));
  answer = nodes_json(n1.admin_port());
  CHECK(answer.at("alive").as_int64() == 1);
  CHECK(alive(answer, "n1"));
  CHECK(find(answer, "n3")->at("leaseTtlMs").as_int64() == 0);
  REQUIRE(inspect(n1.admin_port(), {}, table) == 0);
  CHECK(table.find("1 of ") != std::string::npos);
  CHECK(table.find("gone") != std::string::npos);

  // Redis away: the route answers 503 at once; the node and its event loop carry on.
  redis.stop();
  auto r = http_get(n1.admin_port(), "/admin/nodes", std::string("Bearer ") + kToken);
  CHECK(r.status == 503);
  CHECK(r.body.find("cannot read the cluster's nodes") != std::string::npos);
  CHECK(http_get(n1.admin_port(), "/healthz").status == 200);
}

TEST_CASE("node list reader: a hung Redis keeps a bounded number waiting, each answered once",
          "[cluster][redis]") {
  RedisProcess redis;
  cluster::NodeListReader reader(store::parse_redis_url(redis.url()), 4);
  std::atomic<int> answered{0}, failed{0};
  auto done = [&](std::vector<cluster::NodeStatus>, std::string error) {
    failed += error.empty() ? 0 : 1;
    ++answered;
  };
  REQUIRE(reader.post(done));  // connects while Redis answers
  REQUIRE(eventually([&] { return answered == 1; }));
  CHECK(failed == 0);
  ::kill(redis.pid(), SIGSTOP);
  int accepted = 0;
  for (int i = 0; i < 20; ++i) accepted += reader.post(done) ? 1 : 0;
  // At most four wait, and at most four more were taken by the reader's thread before it
  // blocked on Redis; the rest are refused at once.
  CHECK(accepted >= 4);
  CHECK(accepted <= 8);
  ::kill(redis.pid(), SIGCONT);
  CHECK(eventually([&] { return answered == 1 + accepted; }, 10s));
  std::this_thread::sleep_for(200ms);
  CHECK(answered == 1 + accepted);  // none twice
}

TEST_CASE("inspect in a cluster: a room and its players are found from any node, rooms from all",
          "[cluster][inspect]") {
  ClusterNodes c(2);
  Player host(c.port(0), "ci-host");
  host.spy("CREATE_ROOM", {{"roomId", "ci1"}, {"name", "H"}});
  REQUIRE(host.next("create_room_response")->at("status") == true);
  Player other(c.port(1), "ci-other");
  other.spy("CREATE_ROOM", {{"roomId", "ci2"}, {"name", "O"}});
  REQUIRE(other.next("create_room_response")->at("status") == true);
  auto run = [&](int node, std::vector<std::string> args, std::string& out) {
    std::vector<std::string> argv{ROOMCTL_BINARY, "inspect"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--server", "http://127.0.0.1:" + std::to_string(c.admin_port(node)),
                             "-o", "json"});
    return run_command(argv, out);
  };
  std::string out;
  // Room ci1 runs on node 0; node 1 is asked and finds it on node 0.
  REQUIRE(run(1, {"room", "ci1"}, out) == 0);
  CHECK(out.find("ci-host") != std::string::npos);
  // Both nodes' rooms in one listing, asked of either node.
  for (int node : {0, 1}) {
    REQUIRE(run(node, {"rooms"}, out) == 0);
    CHECK(out.find("\"ci1\"") != std::string::npos);
    CHECK(out.find("\"ci2\"") != std::string::npos);
  }
  CHECK(run(1, {"room", "nowhere"}, out) == 5);  // unknown everywhere: not found
}
