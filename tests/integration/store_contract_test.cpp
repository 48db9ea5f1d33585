// One contract, three stores: memory, a real SQLite file and a real redis-server.
#include <sqlite3.h>
#include <sys/stat.h>
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
    s.push("bob", R"({"n":1})", now, 60'000, {});
    s.push("bob", R"({"n":2})", now, 60'000, {});
    s.push("eve", R"({"n":9})", now, 60'000, {});
    s.push("bob", R"({"n":3})", now, 60'000, {});
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
  SECTION("dms: a queue is bounded in messages and bytes; acks make room again") {
    Millis now = wall_now_ms();
    QueueLimits limits{3, 100};
    std::string ten(10, 'm');  // 10 bytes each
    CHECK(s.push("cap", ten, now, 60'000, limits) == PushResult::queued);
    CHECK(s.push("cap", ten, now, 60'000, limits) == PushResult::queued);
    CHECK(s.push("cap", ten, now, 60'000, limits) == PushResult::queued);
    CHECK(s.push("cap", ten, now, 60'000, limits) == PushResult::full);  // 4 > 3 messages
    CHECK(s.queued("cap", now) == 3);
    auto q = s.pending("cap", now);
    REQUIRE(q.size() == 3);
    s.ack("cap", q[0].seq);
    CHECK(s.queued("cap", now) == 2);
    CHECK(s.push("cap", ten, now, 60'000, limits) == PushResult::queued);
    // bytes: 3 x 10 queued; 71 more would pass 100
    CHECK(s.push("cap", std::string(71, 'b'), now, 60'000, {10, 100}) == PushResult::full);
    CHECK(s.push("cap", std::string(70, 'b'), now, 60'000, {10, 100}) == PushResult::queued);
    CHECK(s.queued("cap", now) == 4);
    CHECK(s.queued("nobody", now) == 0);
  }
  SECTION("dms: pending reads a chunk bounded in messages and bytes") {
    Millis now = wall_now_ms();
    for (int i = 0; i < 10; ++i) s.push("chunk", std::string(100, 'a' + i), now, 60'000, {});
    CHECK(s.pending("chunk", now, {4, 1'000'000}).size() == 4);
    auto q = s.pending("chunk", now, {100, 250});  // 2 x 100 bytes fit, a third would not
    REQUIRE(q.size() == 2);
    CHECK(q[1].payload == std::string(100, 'b'));
    CHECK(s.pending("chunk", now, {100, 10}).size() == 1);  // never less than one message
    s.ack("chunk", q[1].seq);
    CHECK(s.pending("chunk", now, {1, 1000})[0].payload == std::string(100, 'c'));
  }
  SECTION("stroke streams: appended, trimmed, cleared and erased per room, rows exact") {
    auto rows = [&](const std::string& id) {
      for (auto& r : s.load_rooms())
        if (r.id == id) return r.strokes;
      return std::vector<StreamRow>{{-1, "no such room"}};
    };
    auto append = [](std::vector<StreamRow> rows, bool truncate = false, std::int64_t keep = 0) {
      return StreamChanges{truncate, keep, std::move(rows)};
    };
    // Rows are opaque bytes: spaces, quotes, newlines, NUL, multi-byte letters, a large one.
    std::string odd = std::string("1 2 {\"s\":\"a b\n\\\"\u00e9\"}") + '\0' + "\xc3\xa9";
    std::string large(200'000, 'p');
    s.write_rooms({{{"d1", "skribble", "{\"v\":1}"}, {"d2", "skribble", "{}"}},
                   {},
                   {{"d1", append({{1, "r1"}, {2, odd}, {3, "r3"}}, true, 0)},
                    {"d2", append({{1, "other"}})}}});
    CHECK(rows("d1") == std::vector<StreamRow>{{1, "r1"}, {2, odd}, {3, "r3"}});
    CHECK(rows("d2") == std::vector<StreamRow>{{1, "other"}});
    // Appends go after what is there; a trim drops the newest rows only.
    s.write_rooms({{{"d1", "skribble", "{\"v\":2}"}}, {}, {{"d1", append({{4, large}})}}});
    s.write_rooms({{{"d1", "skribble", "{\"v\":3}"}}, {}, {{"d1", append({{7, "r7"}}, true, 2)}}});
    CHECK(rows("d1") == std::vector<StreamRow>{{1, "r1"}, {2, odd}, {7, "r7"}});
    s.write_rooms({{{"d1", "skribble", "{\"v\":4}"}}, {}, {{"d1", append({}, true, 7)}}});
    CHECK(rows("d1").size() == 3);  // nothing above 7
    // A new turn: the snapshot and the cleared stream in one batch.
    s.write_rooms(
        {{{"d1", "skribble", "{\"turn\":2}"}}, {}, {{"d1", append({{8, "n8"}}, true, 0)}}});
    CHECK(rows("d1") == std::vector<StreamRow>{{8, "n8"}});
    CHECK(rows("d2") == std::vector<StreamRow>{{1, "other"}});
    // A batch written again (a retry after a failure the store half applied) changes nothing.
    StreamChanges again = append({{8, "n8"}, {9, "n9"}}, true, 7);
    s.write_rooms({{{"d1", "skribble", "{}"}}, {}, {{"d1", again}}});
    s.write_rooms({{{"d1", "skribble", "{}"}}, {}, {{"d1", again}}});
    s.write_rooms({{{"d1", "skribble", "{}"}}, {}, {{"d1", append({{9, "n9"}})}}});
    CHECK(rows("d1") == std::vector<StreamRow>{{8, "n8"}, {9, "n9"}});
    s.write_rooms({{{"d1", "skribble", "{}"}}, {}, {{"d1", append({}, true, 8)}}});
    // Many rows in one write keep their order.
    std::vector<StreamRow> many;
    for (int i = 0; i < 5000; ++i) many.push_back({9 + i, "m" + std::to_string(i)});
    s.write_rooms({{{"d1", "skribble", "{}"}}, {}, {{"d1", append(many)}}});
    auto got = rows("d1");
    REQUIRE(got.size() == 5001);
    CHECK(got[1] == StreamRow{9, "m0"});
    CHECK(got.back() == StreamRow{5008, "m4999"});
    // Erasing a room drops its stream; a new room of that id starts empty.
    s.write_rooms({{}, {"d1"}});
    s.write_rooms({{{"d1", "spy", "{}"}}, {}});
    CHECK(rows("d1").empty());
    CHECK(rows("d2").size() == 1);
    s.write_rooms({{}, {"d1", "d2"}});
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
    s.push("old", "{}", 0, 1000, {});
    s.push("new", "{}", wall_now_ms(), 60'000, {});
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

TEST_CASE("sqlite: a DM push touches one queue row, never the whole queue", "[store]") {
  // Each push used to rewrite the expiry of every queued message of the receiver: O(queue) per
  // push, 1,782 -> 59 pushes/s as a queue grew. A trigger counts updates of queued messages.
  std::string path = "/tmp/roomctl-push-" + std::to_string(getpid()) + ".db";
  { SqliteStore s(path); }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "CREATE TABLE updates (n INTEGER); INSERT INTO updates VALUES (0);"
                         "CREATE TRIGGER count_updates AFTER UPDATE ON dm_queue "
                         "BEGIN UPDATE updates SET n = n + 1; END;",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  {
    SqliteStore s(path);
    for (int i = 0; i < 200; ++i) s.push("bob", "{}", wall_now_ms(), 60'000, {});
    CHECK(s.queued("bob", wall_now_ms()) == 200);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT n FROM updates", -1, &st, nullptr);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(sqlite3_column_int(st, 0) == 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  unlink(path.c_str());
  unlink((path + "-wal").c_str());
}

TEST_CASE("sqlite: no shared-memory file, a removed database is reported, errors are the real ones",
          "[store]") {
  std::string dir = "/tmp/roomctl-rm-" + std::to_string(getpid());
  REQUIRE(mkdir(dir.c_str(), 0700) == 0);
  std::string path = dir + "/state.db";
  SqliteStore s(path);
  s.write_rooms({{{"r", "spy", "{}"}}, {}});
  // Exclusive locking keeps the WAL index in heap memory: nothing is memory-mapped from a file
  // that a read-only remount or a truncation could turn into a SIGBUS.
  CHECK(access((path + "-shm").c_str(), F_OK) != 0);
  CHECK(s.health_problem().empty());
  unlink((path + "-wal").c_str());
  unlink(path.c_str());
  rmdir(dir.c_str());
  auto problem = s.health_problem();
  CHECK(problem.find("is gone") != std::string::npos);
  try {
    s.write_rooms({{{"r2", "spy", "{}"}}, {}});
    FAIL("a write into a removed database must fail");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()).find("gone") != std::string::npos);
  }
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
  // ... and the store says so, so that the server writes every room again.
  CHECK(s->generation() == 1);
}

TEST_CASE("redis: a reconnect to the same data keeps the generation", "[store][redis]") {
  test::RedisProcess redis;
  auto s = open_store(redis.url(2));
  s->write_rooms({{{"r", "spy", "{}"}}, {}});
  redis.cli("CLIENT KILL TYPE normal");  // drop our connection; the data stays
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    back = s->healthy();
    if (!back) usleep(50'000);
  }
  REQUIRE(back);
  CHECK(s->generation() == 0);
}
