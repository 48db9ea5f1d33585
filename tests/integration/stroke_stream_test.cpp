// A drawing is durable as the room's stroke stream (rows appended per stroke, not a snapshot that
// embeds the log): it survives kill -9 (up to the stroke flush window) and SIGTERM, a late joiner
// then sees the canvas byte for byte, UNDO groups survive a restart, a stroke costs the store one
// row and never a rewrite of the log, and a database written before the stream still restores.
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "server/store/sqlite_store.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/sqlite_file.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
std::int64_t sql_int(const std::string& db_path, const std::string& query) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// The drawer of a two-player skribble room in DRAWING, sending raw frames with odd spacing (the
// server must keep their bytes) and remembering what it sent.
struct Canvas {
  std::string room;
  std::unique_ptr<Player> drawer, guesser;

  Canvas(std::uint16_t port, std::string room_id) : room(std::move(room_id)) {
    drawer = std::make_unique<Player>(port, room + "-a");
    guesser = std::make_unique<Player>(port, room + "-b");
    drawer->skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", room}, {"PlayerName", "A"}});
    REQUIRE(drawer->next("create_room_response"));
    guesser->skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", room}, {"name", "B"}});
    REQUIRE(guesser->next("join_room_response"));
    drawer->skribble("START_SKRIBBLE_GAME", {{"roomId", room}});
    REQUIRE(guesser->next("SECOND_TIMER"));  // DRAWING; the creator draws first
  }

  std::string frame(const std::string& type, int x, std::size_t pad) const {
    return R"({"EventFrom":"SkribbleGame", "type":")" + type + R"(","roomId":")" + room +
           R"(","userId":")" + drawer->user + R"(" ,"x": )" + std::to_string(x) +
           R"(,"s":"a\"b\\ \u00e9","pad":")" + std::string(pad, 'p') + "\"}";
  }
  // Sends one message; returns its bytes.
  std::string draw(const std::string& type, int x, std::size_t pad = 0) {
    auto raw = frame(type, x, pad);
    drawer->ws->send(raw);
    return raw;
  }
  // A START..STOP stroke of three messages (one UNDO group).
  std::vector<std::string> stroke(int x, std::size_t pad = 0) {
    return {draw("START_SKRIBBLE_DRAWING", x), draw("SKRIBBLE_DRAW", x + 1, pad),
            draw("STOP_SKRIBBLE_DRAWING", x + 2)};
  }
  // Waits until the guesser got the drawing message with this x (everything before it was
  // handled by the room).
  void relayed(const std::string& type, int x) {
    while (true) {
      auto m = guesser->next(type, 10s);
      REQUIRE(m);
      if (m->at("x").as_int64() == x) return;
    }
  }
};

std::string log_text(const std::vector<std::string>& frames) {
  std::string out = "\"strokes\":[";
  for (std::size_t i = 0; i < frames.size(); ++i) out += (i ? "," : "") + frames[i];
  return out + "]";
}

template <typename... Parts>
std::vector<std::string> concat(const Parts&... parts) {
  std::vector<std::string> out;
  (out.insert(out.end(), parts.begin(), parts.end()), ...);
  return out;
}

// Drawing as fast as a test sends it: no rate limit bites.
const std::vector<std::string> kUnlimited{
    "games.skribble.draw_burst=100000", "games.skribble.draw_messages_per_second=100000",
    "limits.messages_per_second=100000", "limits.message_burst=100000"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A player who joins the room now; `snapshot` is the ROOM_STATE frame it was shown, as text.
struct LateJoiner {
  std::unique_ptr<WsClient> ws;
  std::string snapshot;
  LateJoiner(std::uint16_t port, const std::string& room, const std::string& user)
      : ws(connect_client(port)) {
    ws->send(R"({"EventFrom":"SkribbleGame","type":"JOIN_SKRIBBLE_ROOM","roomId":")" + room +
             R"(","userId":")" + user + R"(","name":"L"})");
    auto snap = ws->recv_until(of_type("ROOM_STATE"), 10s);
    REQUIRE(snap);
    snapshot = *snap;
  }
};

std::string late_join(std::uint16_t port, const std::string& room, const std::string& user) {
  return LateJoiner(port, room, user).snapshot;
}
}  // namespace

TEST_CASE("crash: a drawing survives kill -9 past the stroke window and SIGTERM, UNDO included",
          "[durability][strokes]") {
  TempDb db;
  std::vector<std::string> opts{db.url(), "games.time_scale=0.2", "server.reconnect_grace=10s",
                                "store.stroke_flush_interval=300ms"};
  std::vector<std::string> g1, g3;
  {
    ServerProcess server(opts);
    Canvas c(server.port(), "kc");
    g1 = c.stroke(1);
    c.stroke(4);
    c.draw("SKRIBBLE_UNDO", 7);  // drops the second stroke
    g3 = c.stroke(8, 300);
    c.relayed("STOP_SKRIBBLE_DRAWING", 10);
    std::this_thread::sleep_for(900ms);  // past store.stroke_flush_interval
    server.signal(SIGKILL);
    server.wait();
  }
  {
    ServerProcess server(opts);
    LateJoiner late(server.port(), "kc", "late1");
    INFO(late.snapshot);
    CHECK(late.snapshot.find(log_text(concat(g1, g3))) != std::string::npos);
    // The groups came back too: one UNDO after the restart drops exactly the last stroke.
    Player a(server.port(), "kc-a");
    a.send({{"EventFrom", "App"}, {"type", "app_opened"}});
    REQUIRE(a.next("ROOM_STATE"));
    a.ws->send(
        R"({"EventFrom":"SkribbleGame","type":"SKRIBBLE_UNDO","roomId":"kc","userId":"kc-a"})");
    REQUIRE(late.ws->recv_until(of_type("SKRIBBLE_UNDO"), 10s));
    CHECK(late_join(server.port(), "kc", "late2").find(log_text(g1)) != std::string::npos);
    server.signal(SIGTERM);  // the UNDO is durable at once: SIGTERM flushes
    CHECK(server.wait() == 0);
  }
  ServerProcess server(opts);
  CHECK(late_join(server.port(), "kc", "late3").find(log_text(g1)) != std::string::npos);
}

TEST_CASE("crash: kill -9 inside the stroke window loses only the newest strokes, in order",
          "[durability][strokes]") {
  TempDb db;
  auto opts = with({db.url(), "games.time_scale=0.2", "server.reconnect_grace=10s",
                    "store.stroke_flush_interval=300ms"},
                   kUnlimited);
  std::vector<std::string> kept, newest;
  {
    ServerProcess server(opts);
    Canvas c(server.port(), "kw");
    for (int i = 0; i < 30; ++i) kept.push_back(c.draw("SKRIBBLE_DRAW", i, 50));
    c.relayed("SKRIBBLE_DRAW", 29);
    std::this_thread::sleep_for(900ms);
    for (int i = 100; i < 160; ++i) newest.push_back(c.draw("SKRIBBLE_DRAW", i, 50));
    server.signal(SIGKILL);  // some of the newest may not be durable yet
    server.wait();
  }
  ServerProcess server(opts);
  auto snap = late_join(server.port(), "kw", "late");
  INFO(snap);
  // What came back is everything past the window and then a prefix of the rest: never a gap,
  // never a stroke out of order.
  bool prefix = false;
  for (std::size_t k = 0; k <= newest.size() && !prefix; ++k) {
    std::vector<std::string> head(newest.begin(), newest.begin() + static_cast<long>(k));
    prefix = snap.find(log_text(concat(kept, head))) != std::string::npos;
  }
  CHECK(prefix);
}

TEST_CASE("sqlite: a stroke is one row written, never a rewrite of the stroke log",
          "[durability][strokes][sqlite]") {
  // Before the stroke stream every flush of a drawing room rewrote its snapshot with the whole
  // log: 6 flushes of a growing 300-stroke log wrote ~1 MB. Triggers count what the server
  // writes: stroke rows inserted or updated, snapshot writes and their largest size.
  TempDb db;
  { roomctl::store::SqliteStore create(db.path); }
  sql(db.path,
      "CREATE TABLE audit (what TEXT PRIMARY KEY, n INTEGER, bytes INTEGER, largest INTEGER);"
      "INSERT INTO audit VALUES ('snapshot', 0, 0, 0), ('row', 0, 0, 0), ('row_update', 0, 0, 0);"
      "CREATE TRIGGER snap_ins AFTER INSERT ON rooms BEGIN UPDATE audit SET n = n + 1, "
      "  bytes = bytes + LENGTH(NEW.snapshot), largest = MAX(largest, LENGTH(NEW.snapshot)) "
      "  WHERE what = 'snapshot'; END;"
      "CREATE TRIGGER snap_upd AFTER UPDATE ON rooms BEGIN UPDATE audit SET n = n + 1, "
      "  bytes = bytes + LENGTH(NEW.snapshot), largest = MAX(largest, LENGTH(NEW.snapshot)) "
      "  WHERE what = 'snapshot'; END;"
      "CREATE TRIGGER row_ins AFTER INSERT ON strokes BEGIN UPDATE audit SET n = n + 1, "
      "  bytes = bytes + LENGTH(NEW.data) WHERE what = 'row'; END;"
      "CREATE TRIGGER row_upd AFTER UPDATE ON strokes BEGIN UPDATE audit SET n = n + 1 "
      "  WHERE what = 'row_update'; END;");
  constexpr int kBursts = 6, kPerBurst = 50;
  constexpr std::size_t kPad = 1000;
  double stroke_bytes_metric = 0;
  {
    ServerProcess server(
        with({db.url(), "games.time_scale=0.2", "store.stroke_flush_interval=100ms"}, kUnlimited));
    Canvas c(server.port(), "big");
    for (int b = 0; b < kBursts; ++b) {
      for (int i = 0; i < kPerBurst; ++i) c.draw("SKRIBBLE_DRAW", b * kPerBurst + i, kPad);
      c.relayed("SKRIBBLE_DRAW", b * kPerBurst + kPerBurst - 1);
      std::this_thread::sleep_for(300ms);  // each burst flushed on its own
    }
    stroke_bytes_metric = server.metric(R"(roomctl_store_written_bytes_total{what="strokes"})");
    server.signal(SIGTERM);
    REQUIRE(server.wait() == 0);
  }
  const std::int64_t strokes = kBursts * kPerBurst;
  const auto log_bytes = static_cast<std::int64_t>(strokes * kPad);
  CHECK(sql_int(db.path, "SELECT n FROM audit WHERE what = 'row'") == strokes);  // each once
  CHECK(sql_int(db.path, "SELECT n FROM audit WHERE what = 'row_update'") == 0);
  CHECK(sql_int(db.path, "SELECT COUNT(*) FROM strokes WHERE room_id = 'big'") == strokes);
  auto snapshots = sql_int(db.path, "SELECT n FROM audit WHERE what = 'snapshot'");
  auto snapshot_bytes = sql_int(db.path, "SELECT bytes FROM audit WHERE what = 'snapshot'");
  INFO(snapshots << " snapshot writes, " << snapshot_bytes << " bytes");
  CHECK(snapshots >= kBursts);
  CHECK(sql_int(db.path, "SELECT largest FROM audit WHERE what = 'snapshot'") < 8 * 1024);
  CHECK(snapshot_bytes < log_bytes / 4);  // all snapshot writes together: a fraction of the log
  auto row_bytes = sql_int(db.path, "SELECT bytes FROM audit WHERE what = 'row'");
  CHECK(row_bytes >= log_bytes);
  CHECK(row_bytes < log_bytes + strokes * 400);  // the frame around the pad, "<at> <group> "
  CHECK(stroke_bytes_metric >= static_cast<double>(log_bytes));
}

TEST_CASE("upgrade: a database whose snapshots embed the stroke log restores it, then moves it",
          "[durability][strokes][sqlite]") {
  TempDb db;
  std::vector<std::string> opts{db.url(), "games.time_scale=0.2", "server.reconnect_grace=10s"};
  std::vector<std::string> drawn;
  {
    ServerProcess server(opts);
    Canvas c(server.port(), "up");
    drawn = c.stroke(1);
    auto second = c.stroke(4, 20);  // (sequenced: argument order is unspecified)
    drawn = concat(drawn, second);
    c.relayed("STOP_SKRIBBLE_DRAWING", 6);
    server.signal(SIGTERM);
    REQUIRE(server.wait() == 0);
  }
  // Turn the file into what roomctl wrote before the stroke stream (schema version 2): the log
  // inside the snapshot as [raw, at, group] entries, no strokes table.
  {
    roomctl::store::SqliteStore s(db.path);
    auto rooms = s.load_rooms();
    REQUIRE(rooms.size() == 1);
    auto snap = json::parse(rooms[0].snapshot).as_object();
    snap.erase("strokeStream");
    json::array log;
    for (const auto& row : rooms[0].strokes) {
      auto sp1 = row.data.find(' '), sp2 = row.data.find(' ', sp1 + 1);
      log.push_back(json::array{json::value(row.data.substr(sp2 + 1)),
                                std::stoll(row.data.substr(0, sp1)),
                                std::stoll(row.data.substr(sp1 + 1, sp2 - sp1 - 1))});
    }
    REQUIRE(log.size() == drawn.size());
    snap["strokes"] = std::move(log);
    s.write_rooms({{{"up", "skribble", json::serialize(snap)}}, {}});
  }
  sql(db.path, "DROP TABLE strokes; PRAGMA user_version = 2;");
  {
    ServerProcess server(opts);
    auto snap = late_join(server.port(), "up", "late1");  // the join saves the room again
    INFO(snap);
    CHECK(snap.find(log_text(drawn)) != std::string::npos);
    server.signal(SIGTERM);
    REQUIRE(server.wait() == 0);
  }
  // The next write moved the log into the stream, in one transaction with a snapshot without it.
  CHECK(sql_int(db.path, "PRAGMA user_version") == roomctl::store::SqliteStore::schema_version());
  CHECK(sql_int(db.path, "SELECT COUNT(*) FROM strokes WHERE room_id = 'up'") ==
        static_cast<std::int64_t>(drawn.size()));
  CHECK(sql_int(db.path,
                "SELECT COUNT(*) FROM rooms WHERE snapshot LIKE '%START_SKRIBBLE_DRAWING%'") == 0);
  ServerProcess server(opts);
  CHECK(late_join(server.port(), "up", "late2").find(log_text(drawn)) != std::string::npos);
}
