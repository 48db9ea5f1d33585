// Node leases against a real redis-server: refresh and expiry, the node list, a second process
// with the same node id, and Redis outages (restarted empty, hung with SIGSTOP) after which the
// lease is re-asserted and no room is taken from a node that was only cut off from Redis.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "server/cluster/node_lease.hpp"
#include "server/cluster/room_registry.hpp"
#include "tests/integration/redis_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl;
using namespace roomctl::cluster;
using namespace std::chrono_literals;
using roomctl::test::eventually;
using roomctl::test::RedisProcess;

namespace {
store::RedisEndpoint endpoint(const RedisProcess& redis) {
  return store::parse_redis_url(redis.url() + "?prefix=t:");
}

NodeInfo info(const std::string& id, double load = 0.25) {
  return {id,
          "127.0.0.1:1" + id.substr(id.size() - 1),
          "127.0.0.1:2" + id.substr(id.size() - 1),
          load,
          3,
          17};
}

const NodeStatus* find(const std::vector<NodeStatus>& list, const std::string& id) {
  for (const auto& s : list)
    if (s.info.id == id) return &s;
  return nullptr;
}

bool alive(const RedisProcess& redis, const std::string& id) {
  return redis.cli("EXISTS t:node:" + id).find('1') != std::string::npos;
}
}  // namespace

TEST_CASE("lease: refreshed it lives past its TTL, unrefreshed it expires, the list says so",
          "[cluster][redis]") {
  RedisProcess redis;
  NodeLease a(endpoint(redis), "node1", 400);
  NodeLease b(endpoint(redis), "node2", 400);
  CHECK(a.refresh(info("node1")) == NodeLease::Result::created);
  CHECK(b.refresh(info("node2", 0.75)) == NodeLease::Result::created);
  for (int i = 0; i < 8; ++i) {  // 800 ms: twice the TTL, refreshed every 100 ms
    std::this_thread::sleep_for(100ms);
    CHECK(a.refresh(info("node1")) == NodeLease::Result::refreshed);
  }
  auto list = a.list();
  REQUIRE(list.size() == 2);
  const auto* n1 = find(list, "node1");
  const auto* n2 = find(list, "node2");
  REQUIRE(n1);
  REQUIRE(n2);
  CHECK(n1->alive);
  CHECK(n1->info.ws_address == "127.0.0.1:11");
  CHECK(n1->info.admin_address == "127.0.0.1:21");
  CHECK(n1->info.rooms == 3);
  CHECK(n1->info.connections == 17);
  CHECK(n1->lease_ttl_ms > 0);
  CHECK(n1->lease_ttl_ms <= 400);
  // node2 stopped refreshing: dead, still listed (the sweeper needs its room list).
  CHECK_FALSE(n2->alive);
  CHECK(n2->lease_ttl_ms == 0);
  // After its lease expired it may come back as a new lease.
  CHECK(b.refresh(info("node2")) == NodeLease::Result::created);
  b.release();
  CHECK_FALSE(alive(redis, "node2"));
  CHECK(find(a.list(), "node2") == nullptr);  // no rooms left: gone from the list
}

TEST_CASE("lease: a dead node is forgotten only once its lease is gone and its rooms are taken",
          "[cluster][redis]") {
  RedisProcess redis;
  NodeLease dead(endpoint(redis), "node1", 300);
  NodeLease live(endpoint(redis), "node2", 60000);
  REQUIRE(dead.refresh(info("node1")) == NodeLease::Result::created);
  REQUIRE(live.refresh(info("node2")) == NodeLease::Result::created);
  RegistryOptions opt;
  opt.suspect_grace_ms = 0;
  RoomRegistry on_dead(endpoint(redis), "node1", opt);
  RoomRegistry on_live(endpoint(redis), "node2", opt);
  REQUIRE(on_dead.claim("room1", "spy", RoomRegistry::ClaimMode::create).outcome ==
          Outcome::claimed);
  CHECK_FALSE(live.forget("node1"));  // its lease still runs
  REQUIRE(eventually([&] { return !alive(redis, "node1"); }));
  CHECK_FALSE(live.forget("node1"));  // it still owns room1: the sweeper's worklist
  CHECK(find(live.list(), "node1")->owned_rooms == 1);
  on_live.claim("room1", "spy", RoomRegistry::ClaimMode::takeover);  // marks it suspect
  REQUIRE(on_live.claim("room1", "spy", RoomRegistry::ClaimMode::takeover).outcome ==
          Outcome::claimed);
  CHECK(live.forget("node1"));
  CHECK(find(live.list(), "node1") == nullptr);
  CHECK_FALSE(live.forget("node2"));  // alive
}

TEST_CASE("lease: a second process with the same node id is refused until the first one's lapses",
          "[cluster][redis]") {
  RedisProcess redis;
  NodeLease first(endpoint(redis), "node1", 500);
  NodeLease second(endpoint(redis), "node1", 500);
  REQUIRE(first.refresh(info("node1")) == NodeLease::Result::created);
  CHECK(second.refresh(info("node1")) == NodeLease::Result::conflict);
  CHECK(redis.cli("HGET t:node:node1 incarnation").find(first.incarnation()) != std::string::npos);
  CHECK(
      eventually([&] { return second.refresh(info("node1")) == NodeLease::Result::created; }, 3s));
  CHECK(first.refresh(info("node1")) == NodeLease::Result::conflict);  // now the first is out
}

TEST_CASE("lease keeper: Redis restarted empty, the lease and the rooms are re-asserted",
          "[cluster][redis]") {
  RedisProcess redis;
  std::atomic<int> reasserted{0};
  LeaseKeeper::Options opt{100, 1000};
  LeaseKeeper keeper(
      endpoint(redis), "node1", opt, [] { return info("node1"); }, [&] { ++reasserted; });
  REQUIRE(eventually([&] { return keeper.state() == LeaseKeeper::State::held; }));
  RoomRegistry registry(endpoint(redis), "node1");
  auto claim = registry.claim("room1", "spy", RoomRegistry::ClaimMode::create);
  REQUIRE(claim.outcome == Outcome::claimed);
  REQUIRE(registry.write_snapshot({"room1", claim.epoch, "spy", "{\"v\":1}"}).outcome ==
          Outcome::written);
  std::vector<FencedSnapshot> others;
  for (int i = 0; i < 50; ++i) {
    auto c =
        registry.claim("other" + std::to_string(i), "skribble", RoomRegistry::ClaimMode::create);
    REQUIRE(c.outcome == Outcome::claimed);
    others.push_back({"other" + std::to_string(i), c.epoch, "skribble", {}});
  }

  redis.stop();
  CHECK(eventually([&] { return keeper.state() == LeaseKeeper::State::unknown; }));
  CHECK_THROWS_AS(registry.lookup("room1"), store::RedisError);  // an outage, not an answer
  redis.start();                                                 // empty, and its script cache too
  CHECK(eventually([&] { return reasserted.load() == 1; }, 10s));
  CHECK(keeper.state() == LeaseKeeper::State::held);
  CHECK(alive(redis, "node1"));
  CHECK(keeper.reasserts() == 1);
  CHECK(keeper.failures() >= 1);
  // What the callback would do: the room comes back with the same epoch, and writes go on.
  auto again = eventually(
      [&] {
        try {
          return registry.reassert("room1", claim.epoch, "spy").outcome == Outcome::reasserted;
        } catch (const store::RedisError&) {
          return false;  // still inside the connection's backoff
        }
      },
      5s);
  REQUIRE(again);
  auto owner = registry.lookup("room1");
  REQUIRE(owner);
  CHECK(owner->node == "node1");
  CHECK(owner->epoch == claim.epoch);
  CHECK(owner->node_alive);
  CHECK(registry.write_snapshot({"room1", claim.epoch, "spy", "{\"v\":2}"}).outcome ==
        Outcome::written);
  CHECK(redis.cli("GET t:room:room1").find("{\"v\":2}") != std::string::npos);
  CHECK(registry.reassert("room1", claim.epoch, "spy").outcome == Outcome::owned);
  // The rest of the node's rooms in one round trip; meanwhile another node created other7
  // anew (a duplicate id while the record was gone): that one is no longer ours.
  NodeLease intruder(endpoint(redis), "node9", 60000);
  REQUIRE(intruder.refresh(info("node9")) == NodeLease::Result::created);
  RoomRegistry on_intruder(endpoint(redis), "node9");
  REQUIRE(on_intruder.claim("other7", "skribble", RoomRegistry::ClaimMode::create).outcome ==
          Outcome::claimed);
  auto all = registry.reassert_all(others);
  REQUIRE(all.size() == others.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    INFO(others[i].room);
    CHECK(all[i].outcome == (i == 7 ? Outcome::stale : Outcome::reasserted));
  }
  CHECK(all[7].node == "node9");
  CHECK(registry.rooms_of("node1").size() == 50);  // room1 and 49 others
  keeper.stop();
  CHECK_FALSE(alive(redis, "node1"));
}

TEST_CASE("lease keeper: Redis hung past the TTL is not every node dead, no room changes owner",
          "[cluster][redis]") {
  RedisProcess redis;
  LeaseKeeper::Options opt{200, 1000};
  LeaseKeeper a(endpoint(redis), "node1", opt, [] { return info("node1"); });
  LeaseKeeper b(endpoint(redis), "node2", opt, [] { return info("node2"); });
  REQUIRE(eventually([&] {
    return a.state() == LeaseKeeper::State::held && b.state() == LeaseKeeper::State::held;
  }));
  RegistryOptions ropt;
  ropt.suspect_grace_ms = 3000;
  RoomRegistry on_a(endpoint(redis), "node1", ropt);
  RoomRegistry on_b(endpoint(redis), "node2", ropt);
  auto claim = on_a.claim("room1", "skribble", RoomRegistry::ClaimMode::create);
  REQUIRE(claim.outcome == Outcome::claimed);

  ::kill(redis.pid(), SIGSTOP);
  std::this_thread::sleep_for(2500ms);  // every lease's TTL passes inside Redis's clock
  ::kill(redis.pid(), SIGCONT);
  // Right after Redis resumes the leases are gone, yet node2 cannot take node1's room: it finds
  // the owner suspect at most, until node1 has re-asserted its lease.
  bool stolen = false;
  bool saw_taken = eventually(
      [&] {
        try {
          auto r = on_b.claim("room1", "skribble", RoomRegistry::ClaimMode::takeover);
          if (r.outcome == Outcome::claimed) stolen = true;
          return r.outcome == Outcome::taken;
        } catch (const store::RedisError&) {
          return false;
        }
      },
      10s);
  CHECK_FALSE(stolen);
  CHECK(saw_taken);
  CHECK(eventually([&] { return a.state() == LeaseKeeper::State::held; }));
  // Both keepers saw the outage. (Whether a refresh re-created the lease or found it is a race:
  // a refresh that timed out during the stop may still run when Redis resumes.)
  CHECK(a.failures() >= 1);
  CHECK(b.failures() >= 1);
  auto owner = on_a.lookup("room1");
  REQUIRE(owner);
  CHECK(owner->node == "node1");
  CHECK(owner->epoch == claim.epoch);
  CHECK(on_a.write_snapshot({"room1", claim.epoch, "skribble", "{}"}).outcome == Outcome::written);
}
