// The room registry, the joinable index and the cluster user directory against a real
// redis-server: claim, hand-over and release with their epochs, fenced snapshot writes (a stale
// owner is refused and nothing is overwritten), failover after a lease expired, races between
// threads on their own connections (one winner per room id, one winner for the last seat), and
// the scripts surviving a flushed script cache.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "server/cluster/cluster_user_directory.hpp"
#include "server/cluster/joinable_index.hpp"
#include "server/cluster/node_lease.hpp"
#include "server/cluster/room_registry.hpp"
#include "server/store/redis_store.hpp"
#include "tests/integration/redis_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl;
using namespace roomctl::cluster;
using namespace std::chrono_literals;
using roomctl::test::eventually;
using roomctl::test::RedisProcess;
using Mode = RoomRegistry::ClaimMode;

namespace {
store::RedisEndpoint endpoint(const RedisProcess& redis) {
  return store::parse_redis_url(redis.url() + "?prefix=c:");
}

// A node that holds a lease for the length of a test.
void lease(const RedisProcess& redis, const std::string& id, Millis ttl = 60000) {
  NodeLease l(endpoint(redis), id, ttl);
  REQUIRE(l.refresh({id, "", "", 0, 0, 0}) != NodeLease::Result::conflict);
}

// Runs fn(i) on n threads released together, each with its own Redis connection.
template <class Fn>
void race(int n, Fn fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (!go) std::this_thread::yield();
      fn(i);
    });
  while (ready < n) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
}
}  // namespace

TEST_CASE("registry: claim, hand-over, release move the epoch, stale writes are refused",
          "[cluster][redis]") {
  RedisProcess redis;
  lease(redis, "a");
  lease(redis, "b");
  RoomRegistry a(endpoint(redis), "a");
  RoomRegistry b(endpoint(redis), "b");
  RoomRegistry nobody(endpoint(redis), "ghost");

  CHECK(nobody.claim("r1", "spy", Mode::create).outcome == Outcome::no_lease);
  CHECK(a.claim("r1", "spy", Mode::takeover).outcome == Outcome::not_found);  // nothing to take
  auto c = a.claim("r1", "spy", Mode::create);
  REQUIRE(c.outcome == Outcome::claimed);
  CHECK(c.epoch == 1);
  CHECK(a.claim("r1", "spy", Mode::create).outcome == Outcome::owned);  // no new epoch
  auto dup = b.claim("r1", "skribble", Mode::create);
  CHECK(dup.outcome == Outcome::exists);
  CHECK(dup.node == "a");
  CHECK(b.claim("r1", "spy", Mode::takeover).outcome == Outcome::taken);  // a is alive
  CHECK(a.write_snapshot({"r1", 1, "spy", R"({"round":1})"}).outcome == Outcome::written);

  CHECK(a.hand_over("r1", 1, "ghost").outcome == Outcome::no_target);
  auto moved = a.hand_over("r1", 1, "b");
  REQUIRE(moved.outcome == Outcome::moved);
  CHECK(moved.node == "b");
  CHECK(moved.epoch == 2);
  CHECK(a.rooms_of("a").empty());
  CHECK(a.rooms_of("b") == std::vector<std::string>{"r1"});
  CHECK(a.hand_over("r1", 1, "b").outcome == Outcome::stale);  // a no longer owns it

  // The old owner writes late: refused, reported as stale with the current owner, and the new
  // owner's state is untouched.
  CHECK(b.write_snapshot({"r1", 2, "spy", R"({"round":2})"}).outcome == Outcome::written);
  auto late = a.write_snapshot({"r1", 1, "spy", R"({"round":1,"late":true})"});
  CHECK(late.outcome == Outcome::stale);
  CHECK_FALSE(late.ok());
  CHECK(late.node == "b");
  CHECK(late.epoch == 2);
  CHECK(redis.cli("GET c:room:r1").find(R"({"round":2})") != std::string::npos);
  // Not even with the right epoch under another node's name.
  CHECK(b.write_snapshot({"r1", 1, "spy", "{}"}).outcome == Outcome::stale);
  // A batch answers per room.
  b.claim("r2", "spy", Mode::create);
  auto batch = b.write_snapshots({{"r1", 2, "spy", "{\"x\":1}"}, {"r2", 99, "spy", "{}"}});
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].outcome == Outcome::written);
  CHECK(batch[1].outcome == Outcome::stale);

  // The state store reads what the fenced writes wrote.
  store::RedisStore storage(endpoint(redis));
  auto rooms = storage.load_rooms();
  REQUIRE(rooms.size() == 1);
  CHECK(rooms[0].id == "r1");
  CHECK(rooms[0].game == "spy");
  CHECK(rooms[0].snapshot == "{\"x\":1}");

  auto owner = a.lookup("r1");
  REQUIRE(owner);
  CHECK(owner->node == "b");
  CHECK(owner->epoch == 2);
  CHECK(owner->game == "spy");
  CHECK(owner->node_alive);
  CHECK_FALSE(a.lookup("never"));

  CHECK(a.release("r1", 2).outcome == Outcome::stale);
  auto rel = b.release("r1", 2);
  CHECK(rel.outcome == Outcome::released);
  CHECK(redis.cli("EXISTS c:room:r1").find('0') != std::string::npos);
  CHECK(b.rooms_of("b") == std::vector<std::string>{"r2"});
  auto freed = a.lookup("r1");
  REQUIRE(freed);
  CHECK(freed->node.empty());
  CHECK(a.claim("r1", "spy", Mode::takeover).outcome == Outcome::not_found);  // it is over
  // The id is free again, and its epochs never repeat.
  auto again = a.claim("r1", "skribble", Mode::create);
  CHECK(again.outcome == Outcome::claimed);
  CHECK(again.epoch == 3);
}

TEST_CASE("registry: a large batch of fenced writes answers every room in order",
          "[cluster][redis]") {
  RedisProcess redis;
  lease(redis, "a");
  RoomRegistry a(endpoint(redis), "a");
  std::vector<FencedSnapshot> batch;
  for (int i = 0; i < 300; ++i) {  // more than one script call's worth
    std::string room = "r" + std::to_string(i);
    auto c = a.claim(room, "spy", Mode::create);
    REQUIRE(c.outcome == Outcome::claimed);
    // Every third entry carries a wrong epoch.
    batch.push_back(
        {room, i % 3 == 0 ? c.epoch + 1 : c.epoch, "spy", "{\"i\":" + std::to_string(i) + "}"});
  }
  auto out = a.write_snapshots(batch);
  REQUIRE(out.size() == batch.size());
  for (int i = 0; i < 300; ++i) {
    INFO(i);
    CHECK(out[i].outcome == (i % 3 == 0 ? Outcome::stale : Outcome::written));
    CHECK(out[i].epoch == 1);
  }
  CHECK(redis.cli("SCARD c:rooms").find("200") != std::string::npos);
  CHECK(redis.cli("GET c:room:r299").find("{\"i\":299}") != std::string::npos);
  CHECK(redis.cli("EXISTS c:room:r0").find('0') != std::string::npos);
  CHECK(a.write_snapshots({}).empty());
}

TEST_CASE("registry: a dead owner's room is taken over after the grace, the old owner is fenced",
          "[cluster][redis]") {
  RedisProcess redis;
  lease(redis, "old", 300);
  lease(redis, "new");
  RegistryOptions opt;
  opt.suspect_grace_ms = 400;
  RoomRegistry old_owner(endpoint(redis), "old", opt);
  RoomRegistry new_owner(endpoint(redis), "new", opt);
  REQUIRE(old_owner.claim("r", "spy", Mode::create).outcome == Outcome::claimed);
  CHECK(new_owner.claim("r", "spy", Mode::takeover).outcome == Outcome::taken);
  REQUIRE(eventually([&] { return !new_owner.lookup("r")->node_alive; }));
  // A create never overwrites a room whose owner died: its snapshot is to be restored.
  CHECK(new_owner.claim("r", "spy", Mode::create).outcome == Outcome::exists);
  CHECK(new_owner.claim("r", "spy", Mode::takeover).outcome == Outcome::suspect);
  CHECK(new_owner.claim("r", "spy", Mode::takeover).outcome == Outcome::suspect);
  std::this_thread::sleep_for(450ms);
  auto taken = new_owner.claim("r", "spy", Mode::takeover);
  REQUIRE(taken.outcome == Outcome::claimed);
  CHECK(taken.epoch == 2);
  CHECK(new_owner.rooms_of("old").empty());  // the dead node's worklist shrinks
  CHECK(new_owner.rooms_of("new") == std::vector<std::string>{"r"});
  // The old owner wakes up (SIGCONT): it cannot write, and cannot re-assert the room.
  lease(redis, "old");
  CHECK(old_owner.write_snapshot({"r", 1, "spy", "{}"}).outcome == Outcome::stale);
  CHECK(old_owner.reassert("r", 1, "spy").outcome == Outcome::stale);
}

TEST_CASE("registry: a dead owner that comes back within the grace keeps its room",
          "[cluster][redis]") {
  RedisProcess redis;
  lease(redis, "a", 300);
  lease(redis, "b");
  RegistryOptions opt;
  opt.suspect_grace_ms = 300;
  RoomRegistry a(endpoint(redis), "a", opt);
  RoomRegistry b(endpoint(redis), "b", opt);
  REQUIRE(a.claim("r", "spy", Mode::create).outcome == Outcome::claimed);
  REQUIRE(eventually([&] { return !b.lookup("r")->node_alive; }));
  CHECK(b.claim("r", "spy", Mode::takeover).outcome == Outcome::suspect);
  lease(redis, "a");  // its refresh clears the suspect note
  CHECK(redis.cli("EXISTS c:suspect:a").find('0') != std::string::npos);
  std::this_thread::sleep_for(350ms);
  CHECK(b.claim("r", "spy", Mode::takeover).outcome == Outcome::taken);
  CHECK(a.lookup("r")->epoch == 1);
}

TEST_CASE("registry: one room id claimed from eight nodes at once has exactly one owner",
          "[cluster][redis]") {
  RedisProcess redis;
  constexpr int kNodes = 8, kRooms = 40;
  for (int i = 0; i < kNodes; ++i) lease(redis, "n" + std::to_string(i));
  std::vector<std::map<std::string, Outcome>> seen(kNodes);
  race(kNodes, [&](int i) {
    RoomRegistry r(endpoint(redis), "n" + std::to_string(i));
    for (int k = 0; k < kRooms; ++k) {
      std::string room = "dup" + std::to_string(k);
      seen[i][room] = r.claim(room, "spy", Mode::create).outcome;
    }
  });
  RoomRegistry reader(endpoint(redis), "reader");
  std::size_t owned_total = 0;
  for (int k = 0; k < kRooms; ++k) {
    std::string room = "dup" + std::to_string(k);
    int winners = 0, losers = 0;
    std::string winner;
    for (int i = 0; i < kNodes; ++i) {
      if (seen[i][room] == Outcome::claimed) {
        ++winners;
        winner = "n" + std::to_string(i);
      }
      if (seen[i][room] == Outcome::exists) ++losers;
    }
    INFO(room);
    CHECK(winners == 1);
    CHECK(losers == kNodes - 1);
    auto owner = reader.lookup(room);
    REQUIRE(owner);
    CHECK(owner->node == winner);
    CHECK(owner->epoch == 1);
  }
  for (int i = 0; i < kNodes; ++i) owned_total += reader.rooms_of("n" + std::to_string(i)).size();
  CHECK(owned_total == kRooms);
}

TEST_CASE("joinable index: twelve concurrent reservations for the last seat, one wins",
          "[cluster][redis]") {
  RedisProcess redis;
  lease(redis, "owner");
  RoomRegistry registry(endpoint(redis), "owner");
  auto c = registry.claim("last", "spy", Mode::create);
  REQUIRE(c.outcome == Outcome::claimed);
  JoinableIndex owner_view(endpoint(redis));
  REQUIRE(owner_view.publish("spy", "last", "owner", c.epoch, 1).outcome == Outcome::written);
  CHECK(owner_view.open_seats("spy", "last") == 1);
  constexpr int kPlayers = 12;
  std::vector<std::optional<Reservation>> got(kPlayers);
  race(kPlayers, [&](int i) {
    JoinableIndex index(endpoint(redis));
    got[i] = index.reserve("spy", "p" + std::to_string(i));
  });
  int winners = 0;
  std::string winner;
  for (int i = 0; i < kPlayers; ++i)
    if (got[i]) {
      ++winners;
      winner = "p" + std::to_string(i);
      CHECK(got[i]->room == "last");
      CHECK(got[i]->node == "owner");
      CHECK(got[i]->epoch == c.epoch);
    }
  CHECK(winners == 1);
  CHECK(owner_view.open_seats("spy", "last") == 0);
  // The winner joins; the owner publishes the room full and consumes the reservation.
  CHECK(owner_view.publish("spy", "last", "owner", c.epoch, 0, {winner}).outcome ==
        Outcome::written);
  CHECK(redis.cli("ZCARD c:reservations:spy").find('0') != std::string::npos);
  CHECK_FALSE(owner_view.reserve("spy", "late"));
}

TEST_CASE("joinable index: fullest room first, expiry and cancel give seats back, fenced",
          "[cluster][redis]") {
  RedisProcess redis;
  lease(redis, "o");
  RoomRegistry registry(endpoint(redis), "o");
  auto big = registry.claim("big", "skribble", Mode::create);
  auto small = registry.claim("small", "skribble", Mode::create);
  JoinableIndex index(endpoint(redis), 300);
  index.publish("skribble", "big", "o", big.epoch, 5);
  index.publish("skribble", "small", "o", small.epoch, 2);
  auto r1 = index.reserve("skribble", "u1");
  REQUIRE(r1);
  CHECK(r1->room == "small");  // fills rooms rather than spreading players thin
  auto again = index.reserve("skribble", "u1");
  REQUIRE(again);
  CHECK(again->room == "small");  // a retry gets the same seat, not a second one
  CHECK(index.open_seats("skribble", "small") == 1);
  auto r2 = index.reserve("skribble", "u2");
  REQUIRE(r2);
  CHECK(r2->room == "small");
  CHECK(index.open_seats("skribble", "small") == 0);
  CHECK(index.reserve("skribble", "u3")->room == "big");
  CHECK(index.cancel("skribble", "small", "u2"));
  CHECK_FALSE(index.cancel("skribble", "small", "u2"));
  CHECK(index.open_seats("skribble", "small") == 1);
  // Unused reservations expire and their seats come back on the next reservation.
  std::this_thread::sleep_for(350ms);
  auto r4 = index.reserve("skribble", "u4");
  REQUIRE(r4);
  CHECK(r4->room == "small");
  CHECK(index.open_seats("skribble", "small") == 1);  // u1's seat came back, u4 took one
  CHECK(index.open_seats("skribble", "big") == 5);
  // Only the owner at its epoch publishes; a release takes the room out of the index.
  CHECK(index.publish("skribble", "big", "intruder", big.epoch, 9).outcome == Outcome::stale);
  CHECK(index.publish("skribble", "big", "o", big.epoch + 1, 9).outcome == Outcome::stale);
  CHECK(registry.release("big", big.epoch).outcome == Outcome::released);
  CHECK(index.open_seats("skribble", "big") == 0);
  CHECK(index.reserve("skribble", "u5")->room == "small");
}

TEST_CASE("cluster user directory: bind, take over, compare-and-set refresh and unbind, TTL",
          "[cluster][redis]") {
  RedisProcess redis;
  ClusterUserDirectory a(endpoint(redis), "a", 400);
  ClusterUserDirectory b(endpoint(redis), "b", 400);
  auto first = a.bind("alice", "conn7");
  CHECK_FALSE(first.replaced);
  auto second = b.bind("alice", "conn3");
  CHECK(second.epoch > first.epoch);
  REQUIRE(second.replaced);
  CHECK(second.replaced->node == "a");
  CHECK(second.replaced->connection == "conn7");
  CHECK(second.replaced->epoch == first.epoch);
  // The old node's late close and refresh leave the new binding alone.
  CHECK_FALSE(a.unbind("alice", first.epoch));
  CHECK(a.refresh({{"alice", first.epoch}}) == std::vector<bool>{false});
  auto where = a.lookup("alice");
  REQUIRE(where);
  CHECK(where->node == "b");
  CHECK(where->connection == "conn3");
  CHECK(where->epoch == second.epoch);
  // Refreshed it outlives its TTL; unrefreshed it expires.
  auto bob = b.bind("bob", "conn4");
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(100ms);
    CHECK(b.refresh({{"alice", second.epoch}}) == std::vector<bool>{true});
  }
  CHECK(a.lookup("alice"));
  CHECK_FALSE(a.lookup("bob"));
  CHECK(b.unbind("alice", second.epoch));
  CHECK_FALSE(a.lookup("alice"));
  (void)bob;
}

TEST_CASE("registry scripts survive a flushed script cache (EVALSHA falls back to EVAL)",
          "[cluster][redis]") {
  RedisProcess redis;
  lease(redis, "a");
  RoomRegistry a(endpoint(redis), "a");
  auto c = a.claim("r", "spy", Mode::create);
  REQUIRE(c.outcome == Outcome::claimed);
  auto cached = [&] {
    auto info = redis.cli("INFO memory");
    auto at = info.find("number_of_cached_scripts:");
    return at == std::string::npos ? -1 : std::atoi(info.c_str() + at + 25);
  };
  CHECK(cached() >= 1);
  redis.cli("SCRIPT FLUSH");
  CHECK(cached() == 0);
  CHECK(a.write_snapshot({"r", c.epoch, "spy", "{}"}).outcome == Outcome::written);
  auto batch = a.write_snapshots({{"r", c.epoch, "spy", "{}"}, {"r", c.epoch + 1, "spy", "{}"}});
  CHECK(batch[0].outcome == Outcome::written);
  CHECK(batch[1].outcome == Outcome::stale);
  CHECK(cached() >= 1);  // the fallback cached it again: the next call's EVALSHA finds it
  CHECK(a.lookup("r")->epoch == c.epoch);
}
