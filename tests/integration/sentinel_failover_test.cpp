// Redis behind Sentinel, with real processes: the connection helper finds the master through the
// sentinels, drops a server that turned replica (READONLY) and notices a link the server closed;
// two cluster nodes and a single server on a redis-sentinel:// URL follow a failover (the master
// SIGKILLed, the replica promoted) with a spy game going on across the nodes, and every DM
// acknowledged before the kill is delivered after.
#include <catch2/catch.hpp>

#include "server/store/redis_connection.hpp"
#include "tests/integration/cluster_nodes.hpp"
#include "tests/integration/sentinel_group.hpp"

using namespace roomctl;
using namespace roomctl::test;
using namespace std::chrono_literals;

namespace {
int server_port(store::RedisConnection& conn) {
  auto r = conn.command({"CONFIG", "GET", "port"});
  return std::stoi(store::reply_string(store::reply_element(r.get(), 1)));
}
}  // namespace

TEST_CASE("redis connection: a link the server closed is noticed before a command is lost on it",
          "[redis]") {
  RedisProcess redis;
  store::RedisConnection conn(store::parse_redis_url(redis.url()));
  conn.command({"SET", "k", "1"});
  redis.stop();
  redis.start();  // the same port: the old connection is dead but still open on our side
  // The first command after the restart goes to a fresh connection instead of failing.
  CHECK(store::reply_string(conn.command({"SET", "k", "2"}).get()) == "OK");
  CHECK(redis.cli("GET k").find('2') == 0);
}

TEST_CASE("sentinel: the connection resolves the master, and drops a replica that refuses writes",
          "[redis][sentinel]") {
  SentinelGroup g;
  store::RedisConnection conn(store::parse_redis_url(g.url()));
  conn.command({"SET", "k", "v"});
  CHECK(server_port(conn) == g.master().port());
  CHECK(conn.describe() == g.url());

  // A connection straight to the replica (what a stale sentinel answer or a demoted master
  // looks like): a write, plain or in a script, is refused with READONLY, which drops the
  // connection so that the next call connects (and, for a group, resolves the master) again.
  store::RedisConnection replica(store::parse_redis_url(g.replica().url()));
  CHECK(store::reply_string(replica.command({"GET", "k"}).get()).size() <= 1);
  CHECK_THROWS_AS(replica.command({"SET", "k", "w"}), store::RedisUnavailable);
  CHECK_FALSE(replica.connected());
  store::RedisScript write("return redis.call('SET', KEYS[1], ARGV[1])");
  std::this_thread::sleep_for(250ms);  // past the first backoff
  CHECK_THROWS_AS(replica.eval(write, {"k"}, {"w"}), store::RedisUnavailable);
  CHECK_FALSE(replica.connected());

  // A master name no sentinel knows: unavailable, and the error says why.
  auto unknown = store::parse_redis_url(g.url());
  unknown.master_name = "nope";
  store::RedisConnection lost(unknown);
  try {
    lost.command({"PING"});
    FAIL("a master no sentinel knows was reached");
  } catch (const store::RedisUnavailable& e) {
    CHECK(std::string(e.what()).find("does not know master \"nope\"") != std::string::npos);
  }
}

TEST_CASE(
    "sentinel: the master is killed mid-game: both nodes follow the promoted replica, the game "
    "goes on across them and every acknowledged DM is delivered",
    "[cluster][redis][sentinel][dm]") {
  SentinelGroup g;
  // A lease outlives the failover, so that no node takes the other's rooms meanwhile.
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  for (int i = 0; i < 2; ++i)
    nodes.push_back(std::make_unique<ServerProcess>(
        cluster_node_settings(g.url(), i, {"cluster.lease_ttl=10s"})));
  wait_cluster_formed(nodes);
  auto& n0 = *nodes[0];
  auto& n1 = *nodes[1];
  // And a single server (no cluster) on the same group, under its own key prefix.
  ServerProcess solo({"store.url=" + g.url() + "?prefix=solo:"});

  Player host(n0.port(), "sf-host");
  Player guest(n1.port(), "sf-guest");
  host.spy("CREATE_ROOM", {{"roomId", "sf1"}, {"name", "H"}, {"gameMode", "word_spy"}});
  REQUIRE(host.next("create_room_response")->at("status") == true);
  guest.spy("join_room", {{"roomId", "sf1"}, {"name", "G"}});
  REQUIRE(guest.next("join_room_response")->at("status") == true);

  // Carol is offline: three DMs are queued, each acknowledged only once the replica has it.
  auto alice = connect_user(n0.port(), "sf-alice");
  for (int i = 1; i <= 3; ++i)
    alice->send(dm_text("sf-alice", "sf-carol", "m" + std::to_string(i)));
  REQUIRE(eventually([&] { return n0.metric("roomctl_dm_queued_total") == 3; }));
  CHECK(n0.metric("roomctl_dm_unreplicated_total") == 0);
  auto sam = connect_user(solo.port(), "sf-sam");
  sam->send(dm_text("sf-sam", "sf-dan", "solo1"));
  REQUIRE(eventually([&] { return solo.metric("roomctl_dm_queued_total") == 1; }));

  auto old_master = g.master().port();
  g.master().stop();  // SIGKILL
  REQUIRE(eventually(
      [&] {
        auto p = g.master_port();
        return p != 0 && p != old_master;
      },
      30s));
  CHECK(g.master_port() == g.replica().port());
  for (auto* n : {&n0, &n1, &solo})
    CHECK(eventually([&] { return http_get(n->admin_port(), "/readyz").status == 200; }, 15s));
  CHECK(n0.log().find("redis_master") != std::string::npos);

  // The game goes on across the nodes: the guest's ready reaches the host through the bus.
  guest.spy("ready", {{"roomId", "sf1"}});
  auto ready = host.next("player_ready", 10s);
  INFO("node 0:\n" << n0.log() << "\nnode 1:\n" << n1.log());
  REQUIRE(ready);
  CHECK(str(*ready, "playerId") == "sf-guest");

  // One more DM after the failover: the new master has no replica left, so it is queued but
  // counted as not replicated.
  alice->send(dm_text("sf-alice", "sf-carol", "m4"));
  CHECK(eventually([&] { return n0.metric("roomctl_dm_queued_total") == 4; }, 10s));
  CHECK(eventually([&] { return n0.metric("roomctl_dm_unreplicated_total") == 1; }, 10s));

  auto carol = connect_client(n1.port());
  carol->send(R"({"EventFrom":"App","type":"app_opened","userId":"sf-carol"})");
  for (int i = 1; i <= 4; ++i) {
    auto m = carol->recv_until(of_type("queued_message"));
    REQUIRE(m);
    CHECK(str(J(*m), "text") == "m" + std::to_string(i));
  }
  auto dan = connect_client(solo.port());
  dan->send(R"({"EventFrom":"App","type":"app_opened","userId":"sf-dan"})");
  auto solo_dm = dan->recv_until(of_type("queued_message"));
  REQUIRE(solo_dm);
  CHECK(str(J(*solo_dm), "text") == "solo1");
}
