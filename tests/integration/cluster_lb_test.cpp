// The load-balancer recipes (deploy/haproxy.cfg, deploy/nginx.conf) run as shipped in front of
// three real nodes sharing a real Redis: WebSockets and their messages pass, connections spread
// by least connections, ?room=ID always reaches the same node, a drained, hung or killed node
// gets no new connections while the others take them, and reconnects stick (HAProxy's cookie).
// Which node a connection reached is read from the nodes' own roomctl_connections.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "tests/integration/cluster_support.hpp"
#include "tests/integration/raw_socket.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

namespace {

std::string app_opened(const std::string& user) {
  return R"({"EventFrom":"App","type":"app_opened","userId":")" + user + "\"}";
}

// Binds `user` on a connection and waits for the node's answer: messages go both ways.
bool talks(WsClient& ws, const std::string& user) {
  ws.send(app_opened(user));
  return ws.recv_until(of_type("users_online")).has_value();
}

// Any later round trip on a connection: bad JSON is answered with an error, the connection stays.
bool answers(WsClient& ws) {
  ws.send("{not json");
  auto reply = ws.recv_until(of_type("error"));
  return reply && str(J(*reply), "code") == "bad_json" && ws.is_open();
}

// A DM from alice to bob arrives at `to` verbatim.
bool dm_arrives(WsClient& from, WsClient& to, const std::string& text) {
  auto msg = dm_text("alice", "bob", text);
  from.send(msg);
  auto got =
      to.recv_until([&](const std::string& m) { return m.find(text) != std::string::npos; }, 10s);
  return got && *got == msg;
}

// A WebSocket upgrade written by hand, so that a test sees and sends cookies.
struct RawUpgrade {
  std::unique_ptr<RawSocket> socket;
  std::string reply;  // the status line and headers
};

RawUpgrade raw_upgrade(std::uint16_t port, const std::string& cookie = "") {
  RawUpgrade u{std::make_unique<RawSocket>(port), ""};
  u.reply = u.socket->upgrade_reply(cookie.empty() ? "" : "Cookie: " + cookie + "\r\n");
  return u;
}

// Opens `count` connections through the balancer (kept in `into`); returns the nodes reached.
std::vector<int> open_through_lb(Cluster& cluster, int count,
                                 std::vector<std::unique_ptr<WsClient>>& into,
                                 const std::string& path = "/") {
  std::vector<int> nodes;
  for (int i = 0; i < count; ++i) {
    auto landed = cluster.connect_lb(path);
    nodes.push_back(landed.node);
    into.push_back(std::move(landed.ws));
  }
  return nodes;
}

}  // namespace

TEST_CASE("lb: WebSockets and their messages pass and connections spread over the three nodes",
          "[cluster][lb]") {
  auto balancer = GENERATE(Balancer::haproxy, Balancer::nginx);
  INFO(balancer_name(balancer));
  Cluster cluster({balancer});
  // A plain request reaches a node too (its hello).
  auto hello = http_get(cluster.lb_port(), "/");
  CHECK(hello.status == 200);
  CHECK(hello.body == "\"hello from word spy websocket server\"");
  if (balancer == Balancer::haproxy) {  // its own health and metrics, for its operators
    CHECK(http_get(cluster.balancer().stats_port(), "/healthz").status == 200);
    auto metrics = http_get(cluster.balancer().stats_port(), "/metrics");
    CHECK(metrics.body.find("haproxy_server_status{proxy=\"roomctl_rooms\",server=\"n1\"") !=
          std::string::npos);
  }

  // Least connections: six long-lived connections end up two on each node.
  std::vector<std::unique_ptr<WsClient>> clients;
  auto nodes = open_through_lb(cluster, 6, clients);
  for (int n : nodes) CHECK(n >= 0);
  CHECK(cluster.connection_counts() == std::vector<int>{2, 2, 2});
  for (std::size_t i = 0; i < clients.size(); ++i)
    CHECK(talks(*clients[i], "spread" + std::to_string(i)));

  // A closed connection frees its node's slot: the next one goes there (round robin would
  // pick nodes[0]'s node: the seventh connection after six).
  int freed = nodes[1];
  REQUIRE(freed != nodes[0]);
  clients[1]->close();
  REQUIRE(eventually([&] { return cluster.connections(freed) == 1; }));
  CHECK(cluster.connect_lb().node == freed);
}

TEST_CASE("lb: ?room=ID always reaches the same node and the rooms use every node",
          "[cluster][lb]") {
  auto balancer = GENERATE(Balancer::haproxy, Balancer::nginx);
  INFO(balancer_name(balancer));
  Cluster cluster({balancer});
  std::set<int> used;
  for (int r = 0; r < 12; ++r) {
    auto path = "/?room=room-" + std::to_string(r);
    std::vector<std::unique_ptr<WsClient>> clients;
    auto nodes = open_through_lb(cluster, 3, clients, path);
    INFO(path);
    REQUIRE(nodes[0] >= 0);
    CHECK(nodes == std::vector<int>(3, nodes[0]));  // despite least connections elsewhere
    CHECK(talks(*clients[0], "roomer" + std::to_string(r)));
    used.insert(nodes[0]);
    clients.clear();  // closed: the next room starts from equal counts again
    REQUIRE(eventually([&] { return cluster.connection_counts() == std::vector<int>{0, 0, 0}; }));
  }
  CHECK(used.size() == 3);
  // Reconnecting later reaches the same node again.
  auto first = cluster.connect_lb("/?room=room-0");
  CHECK(cluster.connect_lb("/?room=room-0").node == first.node);
}

TEST_CASE("lb: a killed node's players reconnect to the others at once", "[cluster][lb]") {
  auto balancer = GENERATE(Balancer::haproxy, Balancer::nginx);
  INFO(balancer_name(balancer));
  Cluster cluster({balancer});
  std::vector<std::unique_ptr<WsClient>> clients;
  auto nodes = open_through_lb(cluster, 3, clients);
  int victim = nodes[0];
  cluster.kill(victim);
  CHECK(clients[0]->wait_closed(5s).has_value());
  // Before any health check noticed: the balancer's retry takes a refused connect elsewhere.
  std::vector<std::unique_ptr<WsClient>> again;
  auto moved = open_through_lb(cluster, 4, again);
  for (std::size_t i = 0; i < moved.size(); ++i) {
    CHECK(moved[i] >= 0);
    CHECK(moved[i] != victim);
    CHECK(talks(*again[i], "moved" + std::to_string(i)));
  }
  // A room whose node died goes to a live node too.
  auto rooms = open_through_lb(cluster, 1, again, "/?room=dead-0");
  for (int r = 1; r < 6; ++r)
    rooms.push_back(open_through_lb(cluster, 1, again, "/?room=dead-" + std::to_string(r))[0]);
  for (int n : rooms) CHECK((n >= 0 && n != victim));
}

TEST_CASE("lb: HAProxy takes a drained node out and leaves its open connections alone",
          "[cluster][lb]") {
  Cluster cluster({Balancer::haproxy});
  std::vector<std::unique_ptr<WsClient>> clients;
  auto nodes = open_through_lb(cluster, 3, clients);
  int drained = nodes[0];
  REQUIRE(talks(*clients[0], "stayer"));
  // And a player of a room that hashes to that node (rooms tried until one does; all kept open
  // so that the counts only rise).
  std::string kept_room;
  std::size_t kept = 0;
  for (int r = 0; r < 40 && kept_room.empty(); ++r) {
    auto path = "/?room=keep-" + std::to_string(r);
    if (open_through_lb(cluster, 1, clients, path)[0] == drained) {
      kept_room = path;
      kept = clients.size() - 1;
    }
  }
  REQUIRE(!kept_room.empty());
  REQUIRE(talks(*clients[kept], "roomstayer"));
  int on_drained = cluster.connections(drained);
  cluster.drain(drained);
  CHECK(http_get(cluster.admin_port(drained), "/readyz").status == 503);
  REQUIRE(cluster.balancer().wait_status(drained, "DOWN"));
  CHECK(cluster.balancer().server_status(drained, "roomctl_nodes") == "DOWN");  // tracked

  // New players, with or without a room, go elsewhere although the drained node has fewest.
  auto later = open_through_lb(cluster, 4, clients);
  for (int n : later) CHECK((n >= 0 && n != drained));
  for (int r = 0; r < 6; ++r) {
    int n = open_through_lb(cluster, 1, clients, "/?room=drain-" + std::to_string(r))[0];
    CHECK((n >= 0 && n != drained));
  }
  // The players already there keep playing through the balancer.
  CHECK(answers(*clients[0]));
  CHECK(answers(*clients[kept]));
  CHECK(cluster.connections(drained) == on_drained);

  // Resumed, it is back after its checks, and its rooms with it.
  cluster.undrain(drained);
  REQUIRE(cluster.balancer().wait_status(drained, "UP"));
  CHECK(open_through_lb(cluster, 1, clients, kept_room)[0] == drained);
}

TEST_CASE("lb: HAProxy takes a hung node out and back once it answers", "[cluster][lb]") {
  Cluster cluster({Balancer::haproxy});
  cluster.pause(1);
  REQUIRE(cluster.balancer().wait_status(1, "DOWN"));
  std::vector<std::unique_ptr<WsClient>> clients;
  auto nodes = open_through_lb(cluster, 4, clients);
  for (int n : nodes) CHECK((n == 0 || n == 2));
  cluster.resume(1);
  REQUIRE(cluster.balancer().wait_status(1, "UP"));
  CHECK(cluster.connect_lb().node == 1);
}

TEST_CASE("lb: HAProxy's cookie brings a reconnect back to its node", "[cluster][lb]") {
  Cluster cluster({Balancer::haproxy});
  RawUpgrade first;
  int home = cluster.node_of([&] { first = raw_upgrade(cluster.lb_port()); });
  REQUIRE(first.reply.rfind("HTTP/1.1 101", 0) == 0);
  std::smatch m;
  REQUIRE(std::regex_search(first.reply, m,
                            std::regex(R"(Set-Cookie: (roomctl_node=n\d))", std::regex::icase)));
  std::string cookie = m[1];
  CHECK(cookie == "roomctl_node=" + cluster.node_id(home));
  // Least connections alone would pick another node every time; the cookie wins.
  std::vector<RawUpgrade> back(3);
  for (auto& b : back) {
    CHECK(cluster.node_of([&] { b = raw_upgrade(cluster.lb_port(), cookie); }) == home);
    CHECK(b.reply.rfind("HTTP/1.1 101", 0) == 0);
  }
  CHECK(cluster.connections(home) == 4);
  // A cookie for a node that is down is ignored: the player lands on a live node.
  cluster.kill(home);
  REQUIRE(cluster.balancer().wait_status(home, "DOWN"));
  RawUpgrade stray;
  int other = cluster.node_of([&] { stray = raw_upgrade(cluster.lb_port(), cookie); });
  CHECK(stray.reply.rfind("HTTP/1.1 101", 0) == 0);
  CHECK((other >= 0 && other != home));
}

TEST_CASE("lb: a room that moved while its node was down stays where it moved (HAProxy)",
          "[cluster][lb]") {
  Cluster cluster({Balancer::haproxy});
  int home = cluster.connect_lb("/?room=mover").node;  // closed at once: only the table remembers
  REQUIRE(home >= 0);
  cluster.kill(home);
  REQUIRE(cluster.balancer().wait_status(home, "DOWN"));
  auto moved = cluster.connect_lb("/?room=mover");
  REQUIRE(moved.node >= 0);
  CHECK(moved.node != home);
  cluster.restart(home);
  // The consistent hash alone would send the room back; the stick table keeps it.
  CHECK(cluster.connect_lb("/?room=mover").node == moved.node);
  // Other rooms still reach the restarted node.
  std::vector<std::unique_ptr<WsClient>> clients;
  std::set<int> used;
  for (int r = 0; r < 12; ++r)
    used.insert(open_through_lb(cluster, 1, clients, "/?room=r" + std::to_string(r))[0]);
  CHECK(used.count(home) == 1);
}

TEST_CASE("lb: players the balancer put on different nodes talk and a reconnect after a crash",
          "[cluster][lb][dm]") {
  auto balancer = GENERATE(Balancer::haproxy, Balancer::nginx);
  INFO(balancer_name(balancer));
  Cluster cluster({balancer});
  auto alice = cluster.connect_lb();
  auto bob = cluster.connect_lb();
  REQUIRE(alice.node >= 0);
  REQUIRE(bob.node >= 0);
  REQUIRE(alice.node != bob.node);  // least connections
  REQUIRE(talks(*alice.ws, "alice"));
  REQUIRE(talks(*bob.ws, "bob"));
  // Presence crosses nodes: alice hears of bob.
  REQUIRE(alice.ws->recv_until(
      [](const std::string& m) { return m.find("\"bob\"") != std::string::npos; }, 10s));
  CHECK(dm_arrives(*alice.ws, *bob.ws, "hi bob"));

  // Bob's node crashes; he reconnects through the balancer to a live node and is reachable.
  int dead = bob.node;
  cluster.kill(dead);
  CHECK(bob.ws->wait_closed(5s).has_value());
  auto again = cluster.connect_lb();
  REQUIRE(again.node >= 0);
  CHECK(again.node != dead);
  REQUIRE(talks(*again.ws, "bob"));
  CHECK(dm_arrives(*alice.ws, *again.ws, "still there?"));
}
