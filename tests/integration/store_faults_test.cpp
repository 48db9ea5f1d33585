// Faults outside the server that must not lose data or stall players: the database directory
// removed, a stored room that cannot be restored, Redis restarted empty, Redis hung (SIGSTOP).
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/sqlite_file.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

namespace {
struct TempDir {
  std::string path =
      "/tmp/roomctl-faults-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  static inline int counter = 0;
  TempDir() { mkdir(path.c_str(), 0700); }
  ~TempDir() {
    std::string out;
    run_command({"rm", "-rf", path}, out);
  }
};

std::string readyz(ServerProcess& s) {
  auto r = http_get(s.admin_port(), "/readyz");
  return std::to_string(r.status) + " " + r.body;
}
}  // namespace

TEST_CASE("the database directory removed while running: readyz 503 says why, nothing crashes",
          "[durability][sqlite]") {
  TempDir dir;
  ServerProcess server({"store.url=sqlite://" + dir.path + "/state.db"});
  CHECK(readyz(server).rfind("200", 0) == 0);
  auto p = connect_user(server.port(), "u1");
  std::string out;
  run_command({"rm", "-rf", dir.path}, out);
  CHECK(eventually([&] { return readyz(server).find("is gone") != std::string::npos; }, 5s));
  // A game change now cannot be written anywhere real: the writer keeps it and says so.
  p->send(R"({"EventFrom":"SpyGame","type":"CREATE_ROOM","userId":"u1","roomId":"r1","name":"A"})");
  CHECK(p->recv_until(of_type("create_room_response")));
  CHECK(eventually(
      [&] { return server.metric(R"(roomctl_store_failures_total{op="write_rooms"})") >= 1; }));
  CHECK(server.log().find("gone or replaced") != std::string::npos);
  CHECK(http_get(server.admin_port(), "/healthz").status == 200);
}

TEST_CASE("a stored room that cannot be restored is logged, counted and kept", "[durability]") {
  TempDir dir;
  std::string db = dir.path + "/state.db";
  {  // create the schema, then plant one good and two broken rooms
    ServerProcess first({"store.url=sqlite://" + db});
    first.signal(SIGTERM);
    REQUIRE(first.wait() == 0);
  }
  sql(db,
      "INSERT INTO rooms (id, game, snapshot, updated_at) VALUES "
      "('broken', 'spy', '{\"roomId\":\"broken\",\"name\":\"\xff\xfe\"}', 0),"
      "('alien', 'chess', '{}', 0)");
  ServerProcess server({"store.url=sqlite://" + db});
  CHECK(server.log().find("room_restore_failed") != std::string::npos);
  CHECK(server.metric("roomctl_rooms_quarantined") == 2);
  auto stats = http_get(server.admin_port(), "/admin/stats").body;
  CHECK(stats.find("\"broken\"") != std::string::npos);
  CHECK(stats.find("\"alien\"") != std::string::npos);
  // Its id stays taken: nobody can overwrite the kept snapshot by creating a room with it.
  auto p = connect_user(server.port(), "u1");
  p->send(
      R"({"EventFrom":"SpyGame","type":"CREATE_ROOM","userId":"u1","roomId":"broken","name":"A"})");
  auto reply = p->recv_until(of_type("create_room_response"));
  REQUIRE(reply);
  CHECK(J(*reply).at("status") == false);
  server.signal(SIGTERM);
  REQUIRE(server.wait() == 0);
  // Still in the file, byte for byte, for an operator to look at.
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(handle, "SELECT COUNT(*) FROM rooms WHERE id IN ('broken','alien')", -1, &st,
                     nullptr);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(sqlite3_column_int(st, 0) == 2);
  sqlite3_finalize(st);
  sqlite3_close(handle);
}

TEST_CASE("Redis restarted empty: rooms that do not change are written again",
          "[durability][redis]") {
  RedisProcess redis;
  ServerProcess server({"store.url=" + redis.url(0), "rooms.sweep_interval=50ms"});
  auto p = connect_user(server.port(), "u1");
  p->send(
      R"({"EventFrom":"SpyGame","type":"CREATE_ROOM","userId":"u1","roomId":"quiet","name":"A"})");
  REQUIRE(p->recv_until(of_type("create_room_response")));
  REQUIRE(eventually(
      [&] { return redis.cli("EXISTS roomctl:room:quiet").find('1') != std::string::npos; }));
  redis.stop();
  redis.start();  // empty: no persistence configured
  CHECK(redis.cli("EXISTS roomctl:room:quiet").find('0') != std::string::npos);
  // The lobby does not change, yet the room is back in the store.
  CHECK(eventually(
      [&] { return redis.cli("EXISTS roomctl:room:quiet").find('1') != std::string::npos; }, 10s));
  CHECK(server.log().find("store_replaced") != std::string::npos);
}

TEST_CASE("a hung Redis never stalls players: store work leaves the event loop",
          "[durability][redis]") {
  RedisProcess redis;
  ServerProcess server({"store.url=" + redis.url(0), "limits.messages_per_second=1000",
                        "limits.message_burst=1000", "abuse.dms_per_user=0"});
  auto alice = connect_user(server.port(), "alice");
  ::kill(redis.pid(), SIGSTOP);
  // Ten direct messages to an offline user each need the store; then a game message that does
  // not. With store calls on the connection's thread, each waited for Redis's 1 s timeout.
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) alice->send(dm_text("alice", "offline", "m" + std::to_string(i)));
  alice->send(R"({"EventFrom":"SpyGame","type":"join_room","userId":"alice","roomId":"none"})");
  CHECK(alice->recv_until(of_type("spy_room_not_found"), 5s));
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited < 3s);  // not 10 x 1 s
  // readyz says so without waiting for Redis itself ("not answering" or "unreachable").
  CHECK(eventually([&] { return readyz(server).rfind("503", 0) == 0; }, 6s));
  ::kill(redis.pid(), SIGCONT);
  CHECK(eventually([&] { return readyz(server).rfind("200", 0) == 0; }, 10s));
}

TEST_CASE("a name cut at its byte limit stays valid UTF-8 for clients and across a restart",
          "[durability][utf8]") {
  // 13 three-byte letters are 39 bytes: the 32-byte name limit used to cut inside the 11th,
  // every member got a frame that was not UTF-8 (Beast, browsers and ws close with 1007), and
  // the stored snapshot no longer restored.
  TempDir dir;
  std::string url = "store.url=sqlite://" + dir.path + "/state.db";
  std::string name;
  for (int i = 0; i < 13; ++i) name += "\xe4\xb8\xad";
  {
    ServerProcess server({url});
    auto host = connect_user(server.port(), "u1");
    host->send(
        R"({"EventFrom":"SpyGame","type":"CREATE_ROOM","userId":"u1","roomId":"utf","name":")" +
        name + "\"}");
    REQUIRE(host->recv_until(of_type("create_room_response")));
    auto guest = connect_user(server.port(), "u2");
    guest->send(
        R"({"EventFrom":"SpyGame","type":"join_room","userId":"u2","roomId":"utf","name":"b"})");
    REQUIRE(guest->recv_until(of_type("join_room_response")));
    guest->send(R"({"EventFrom":"SpyGame","type":"GET_JOIN_EVENTS","userId":"u2","roomId":"utf"})");
    auto players = guest->recv_until(of_type("playerList"));
    REQUIRE(players);  // a frame that is not UTF-8 would have closed this client instead
    INFO(*players);
    CHECK(players->find(name.substr(0, 30)) != std::string::npos);
    CHECK(guest->is_open());
    CHECK(host->is_open());
    server.signal(SIGTERM);
    REQUIRE(server.wait() == 0);
  }
  ServerProcess again({url});
  CHECK(again.log().find("room_restore_failed") == std::string::npos);
  CHECK(again.log().find("rooms_restored rooms=1") != std::string::npos);
  auto host = connect_user(again.port(), "u1");
  host->send(
      R"({"EventFrom":"SpyGame","type":"join_room","userId":"u1","roomId":"utf","name":"x"})");
  CHECK(host->recv_until(of_type("room_state")));
}
