// One contract, three stores: memory, a real SQLite file and a real redis-server.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "server/store/sqlite_store.hpp"
#include "server/store/state_store.hpp"
#include "tests/integration/redis_process.hpp"

using namespace roomctl;
using namespace roomctl::store;

namespace {
void contract(StateStore& s) {
  SECTION("rooms: put, overwrite, erase, load") {
    s.write_rooms({{{"r1", "spy", R"({"a":1})"}, {"r2", "skribble", R"({"b":2})"}}, {}});
    s.write_rooms({{{"r1", "spy", R"({"a":3})"}}, {"r2"}});
    auto rooms = s.load_rooms();
    REQUIRE(rooms.size() == 1);
    CHECK(rooms[0].id == "r1");
    CHECK(rooms[0].game == "spy");
    CHECK(rooms[0].snapshot == R"({"a":3})");
  }
  SECTION("dms: order, ack after delivery, per receiver") {
    Millis now = wall_now_ms();
    s.push("bob", R"({"n":1})", now, 60'000);
    s.push("bob", R"({"n":2})", now, 60'000);
    s.push("eve", R"({"n":9})", now, 60'000);
    s.push("bob", R"({"n":3})", now, 60'000);
    auto q = s.pending("bob", now);
    REQUIRE(q.size() == 3);
    CHECK(q[0].payload == R"({"n":1})");
    CHECK(q[2].payload == R"({"n":3})");
    CHECK(q[0].seq < q[1].seq);
    s.ack("bob", q[1].seq);
    q = s.pending("bob", now);
    REQUIRE(q.size() == 1);
    CHECK(q[0].payload == R"({"n":3})");
    s.ack("bob", q[0].seq);
    CHECK(s.pending("bob", now).empty());
    CHECK(s.pending("eve", now).size() == 1);
  }
  SECTION("large snapshots round-trip unchanged") {
    std::string big(300'000, 'x');
    std::string json = "{\"s\":\"" + big + "\"}";
    s.write_rooms({{{"big", "skribble", json}}, {}});
    auto rooms = s.load_rooms();
    bool found = false;
    for (auto& r : rooms)
      if (r.id == "big") found = r.snapshot == json;
    CHECK(found);
  }
  CHECK(s.healthy());
}
}  // namespace

TEST_CASE("store contract: memory", "[store]") {
  auto s = open_store("memory://");
  contract(*s);
}

TEST_CASE("store contract: sqlite file", "[store]") {
  std::string path = "/tmp/roomctl-contract-" + std::to_string(getpid()) + ".db";
  {
    auto s = open_store("sqlite://" + path);
    contract(*s);
  }
  unlink(path.c_str());
  unlink((path + "-wal").c_str());
  unlink((path + "-shm").c_str());
}

TEST_CASE("store contract: redis-server", "[store][redis]") {
  test::RedisProcess redis;
  auto s = open_store(redis.url(0) + "?prefix=t:");
  contract(*s);
  std::string keys = redis.cli("--scan");  // every key lives under the prefix
  CHECK_FALSE(keys.empty());
  for (std::size_t at = 0; at < keys.size(); at = keys.find('\n', at) + 1) {
    if (keys[at] == '\n' || at >= keys.size()) break;
    CHECK(keys.compare(at, 2, "t:") == 0);
    if (keys.find('\n', at) == std::string::npos) break;
  }
}

TEST_CASE("sqlite: data survives reopening and expired DM queues are purged", "[store]") {
  std::string path = "/tmp/roomctl-reopen-" + std::to_string(getpid()) + ".db";
  {
    SqliteStore s(path);
    s.write_rooms({{{"keep", "spy", "{}"}}, {}});
    s.push("old", "{}", 0, 1000);
    s.push("new", "{}", wall_now_ms(), 60'000);
  }
  {
    SqliteStore s(path);
    CHECK(s.load_rooms().size() == 1);
    CHECK(s.size() == 2);
    CHECK(s.purge_expired(wall_now_ms()) == 1);
    CHECK(s.size() == 1);
    CHECK(SqliteStore::schema_version() >= 1);
  }
  unlink(path.c_str());
  unlink((path + "-wal").c_str());
  unlink((path + "-shm").c_str());
}

TEST_CASE("redis: an outage makes calls fail and healthy() false, then it recovers",
          "[store][redis]") {
  test::RedisProcess redis;
  auto s = open_store(redis.url(1));
  s->write_rooms({{{"r", "spy", "{}"}}, {}});
  redis.stop();
  CHECK_FALSE(s->healthy());
  CHECK_THROWS(s->write_rooms({{{"r2", "spy", "{}"}}, {}}));
  redis.start();
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    back = s->healthy();
    if (!back) usleep(50'000);
  }
  CHECK(back);
  CHECK_NOTHROW(s->write_rooms({{{"r2", "spy", "{}"}}, {}}));
  CHECK(s->load_rooms().size() == 1);  // the first redis lost its data with the kill
}
