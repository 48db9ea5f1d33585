// The stroke log persisted append-only: the changes StrokeLog reports (appends, the truncations
// of UNDO and CLEAR), their composition while a write is pending, the rebuild from stored rows,
// snapshots without the log (and old ones with it), and the writer that batches them.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>

#include "server/games/skribble/skribble_game.hpp"
#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/runtime/persistence.hpp"
#include "server/store/memory_store.hpp"
#include "tests/unit/game_driver.hpp"

using namespace roomctl;
using namespace roomctl::games::skribble;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
std::string raw(int n) {
  return "{\"type\":\"SKRIBBLE_DRAW\",\"n\":" + std::to_string(n) + "}";
}

// The log's whole stream as take_changes(true) writes it, without disturbing `log`'s own record
// of what the store holds.
std::vector<StreamRow> full_rows(const StrokeLog& log) {
  StrokeLog copy = log;
  return copy.take_changes(true).append;
}

std::string entries(const StrokeLog& log) {
  return json::serialize(log.to_json());
}
}  // namespace

TEST_CASE("stroke stream: a log reports appends, UNDO and CLEAR as row changes", "[skribble]") {
  StrokeLog log;
  // A new log does not know what the store holds under its room id: it starts by truncating.
  auto first = log.take_changes();
  CHECK(first.truncate);
  CHECK(first.keep_through == 0);
  CHECK(first.append.empty());
  CHECK(log.take_changes().empty());  // nothing changed since

  log.apply("SKRIBBLE_DRAW", raw(1), 1000);
  log.apply("SKRIBBLE_DRAW", raw(2), 1050);  // same group (< 150 ms)
  auto c = log.take_changes();
  CHECK_FALSE(c.truncate);
  REQUIRE(c.append.size() == 2);
  CHECK(c.append[0].seq == 1);
  CHECK(c.append[1].seq == 2);
  CHECK(c.append[0].data == "1000 1 " + raw(1));  // "<at> <group> <raw>", raw byte for byte

  log.apply("SKRIBBLE_DRAW", raw(3), 5000);  // a new group
  c = log.take_changes();
  CHECK_FALSE(c.truncate);  // a stroke is one appended row, never a rewrite
  REQUIRE(c.append.size() == 1);
  CHECK(c.append[0].seq == 3);

  // UNDO of a stored group: its rows go.
  log.apply("SKRIBBLE_UNDO", "{}", 5100);
  c = log.take_changes();
  CHECK(c.truncate);
  CHECK(c.keep_through == 2);
  CHECK(c.append.empty());

  // A group drawn and undone between two saves never reaches the store.
  log.apply("SKRIBBLE_DRAW", raw(4), 9000);
  log.apply("SKRIBBLE_UNDO", "{}", 9100);
  CHECK(log.take_changes().empty());

  // Undo into the stored part, then draw again: truncate, then the new rows (seqs keep growing).
  log.apply("SKRIBBLE_UNDO", "{}", 9200);
  log.apply("SKRIBBLE_DRAW", raw(5), 12000);
  c = log.take_changes();
  CHECK(c.truncate);
  CHECK(c.keep_through == 0);
  REQUIRE(c.append.size() == 1);
  CHECK(c.append[0].seq == 5);  // never one used before in this log (4 was undone unsaved)

  log.apply("SKRIBBLE_CLEAR", "{}", 13000);
  c = log.take_changes();
  CHECK(c.truncate);
  CHECK(c.keep_through == 0);
  CHECK(c.append.empty());

  // Everything, for a store that lost the stream.
  log.apply("SKRIBBLE_DRAW", raw(7), 14000);
  log.take_changes();
  log.apply("SKRIBBLE_DRAW", raw(8), 14010);
  auto all = log.take_changes(true);
  CHECK(all.truncate);
  CHECK(all.keep_through == 0);
  CHECK(all.append.size() == 2);
}

TEST_CASE("stroke stream: changes taken at any points, applied or composed, rebuild the log",
          "[skribble]") {
  // A model check over random drawing, undo, clear and save points: the stream the store ends
  // with (each save applied in turn, or all saves of a failed write composed into one) holds
  // exactly the log's entries, and a log rebuilt from it is the same log.
  std::mt19937 rng(42);
  for (int run = 0; run < 200; ++run) {
    StrokeLog log(40, 1 << 20);
    std::vector<StreamRow> stored;    // every save applied as it is taken
    std::vector<StreamRow> composed;  // saves composed in groups before being applied
    StreamChanges pending;
    Millis now = 0;
    for (int op = 0; op < 120; ++op) {
      auto k = rng() % 12;
      now += (rng() % 2) ? 20 : 400;
      if (k < 6)
        log.apply(k == 0   ? "START_SKRIBBLE_DRAWING"
                  : k == 1 ? "STOP_SKRIBBLE_DRAWING"
                           : "SKRIBBLE_DRAW",
                  raw(op), now);
      else if (k < 8)
        log.apply("SKRIBBLE_UNDO", "{}", now);
      else if (k == 8)
        log.apply("SKRIBBLE_CLEAR", "{}", now);
      else {
        auto c = log.take_changes(rng() % 20 == 0);
        c.apply_to(stored);
        pending.then(std::move(c));
        if (rng() % 3 == 0) {  // the writer got to it
          pending.apply_to(composed);
          pending = {};
        }
      }
    }
    auto last = log.take_changes();
    last.apply_to(stored);
    pending.then(std::move(last));
    pending.apply_to(composed);
    INFO("run " << run);
    REQUIRE(stored == full_rows(log));
    REQUIRE(composed == stored);
    StrokeLog rebuilt;
    rebuilt.from_rows(stored);
    CHECK(entries(rebuilt) == entries(log));
    CHECK(rebuilt.bytes() == log.bytes());
  }
}

TEST_CASE("stroke stream: a log rebuilt from rows undoes the same groups and goes on appending",
          "[skribble]") {
  StrokeLog log;
  log.apply("START_SKRIBBLE_DRAWING", raw(1), 1000);
  log.apply("SKRIBBLE_DRAW", raw(2), 3000);  // inside START..STOP: same group
  log.apply("STOP_SKRIBBLE_DRAWING", raw(3), 3100);
  log.apply("SKRIBBLE_DRAW", "{\"s\":\"sp ace\\n\\u00e9\"}", 9000);
  std::vector<StreamRow> stored;
  log.take_changes().apply_to(stored);

  StrokeLog back;
  back.from_rows(stored);
  CHECK(back.json_array() == log.json_array());
  CHECK(entries(back) == entries(log));
  // The store holds all of it: nothing to write until something changes.
  CHECK(back.take_changes().empty());
  back.apply("SKRIBBLE_UNDO", "{}", 20000);
  CHECK(back.size() == 3);
  back.apply("SKRIBBLE_UNDO", "{}", 20100);  // the START..STOP group goes as one
  CHECK(back.empty());
  auto c = back.take_changes();
  CHECK(c.truncate);
  CHECK(c.keep_through == 0);
  back.apply("SKRIBBLE_DRAW", raw(9), 30000);
  c = back.take_changes();
  REQUIRE(c.append.size() == 1);
  CHECK(c.append[0].seq == 5);  // after the highest stored seq

  StrokeLog bad;
  CHECK_THROWS(bad.from_rows({{1, "not a row"}}));
  CHECK_THROWS(bad.from_rows({{1, "12 x {}"}}));
  CHECK_THROWS(bad.from_rows({{2, "1 1 {}"}, {2, "1 1 {}"}}));  // seqs must grow
  CHECK_THROWS(bad.from_rows({{0, "1 1 {}"}}));
  CHECK_THROWS(bad.from_rows({{std::numeric_limits<std::int64_t>::max(), "1 1 {}"}}));
  CHECK_NOTHROW(bad.from_rows({{7, "-5 4 "}}));  // an empty message is a message
}

namespace {
const WordLists& words() {
  static WordLists w = [] {
    WordLists l;
    l.easy = {"apple", "tree", "house"};
    l.medium = l.hard = l.easy;
    return l;
  }();
  return w;
}

// A room of two in DRAWING with three strokes drawn by p0.
struct DrawingRoom {
  SkribbleGame game{"r", Rules{}, words(), 5};
  test::GameDriver d{game};
  DrawingRoom() {
    d.send("p0", "CREATE_SKRIBBLE_ROOM", {{"PlayerName", "P0"}});
    d.send("p1", "JOIN_SKRIBBLE_ROOM", {{"name", "P1"}});
    d.send("p0", "START_SKRIBBLE_GAME");
    while (game.state().phase != Phase::drawing) d.advance(1000);
    std::string drawer = game.state().players[static_cast<std::size_t>(game.state().drawer_idx)].id;
    for (int i = 0; i < 3; ++i) d.send(drawer, "SKRIBBLE_DRAW", {{"x", i}});
  }
};
}  // namespace

TEST_CASE("stroke stream: the snapshot leaves the log out, old snapshots with it still restore",
          "[skribble][snapshot]") {
  DrawingRoom room;
  auto* g = &room.game;
  auto snap = g->snapshot();
  CHECK(snap.at("strokes").as_array().empty());
  CHECK(snap.at("strokeStream") == true);
  auto rows = g->take_log_changes(false);
  CHECK(rows.truncate);  // the room's first save clears whatever its id held before
  REQUIRE(rows.append.size() == 3);

  SkribbleGame restored(state_from_json(snap, rows.append), words());
  CHECK(restored.state().strokes.json_array() == g->state().strokes.json_array());
  CHECK(restored.take_log_changes(false).empty());

  // Written by a roomctl from before the stroke stream: the log is in the snapshot. It restores
  // as before, and the room's next save moves all of it into the stream (rows of the stream the
  // old binary never knew about are not its own: dropped first).
  json::object legacy = snap;
  legacy.erase("strokeStream");
  legacy["strokes"] = g->state().strokes.to_json();
  SkribbleGame old(state_from_json(legacy, {{99, "1 1 {\"stale\":1}"}}), words());
  CHECK(old.state().strokes.json_array() == g->state().strokes.json_array());
  auto moved = old.take_log_changes(false);
  CHECK(moved.truncate);
  CHECK(moved.keep_through == 0);
  CHECK(moved.append == rows.append);

  // A snapshot of the stream format that embeds a log anyway is damaged.
  json::object both = snap;
  both["strokes"] = g->state().strokes.to_json();
  CHECK_THROWS(state_from_json(both, rows.append));
}

namespace {
// A memory store whose room writes fail while `fail` is set.
class FlakyStore : public store::MemoryStore {
 public:
  std::atomic<bool> fail{false};
  std::atomic<int> writes{0};
  void write_rooms(const store::RoomBatch& batch) override {
    if (fail) throw std::runtime_error("down");
    ++writes;
    MemoryStore::write_rooms(batch);
  }
};

StreamChanges append(std::initializer_list<int> seqs) {
  StreamChanges c;
  for (int s : seqs) c.append.push_back({s, "d" + std::to_string(s)});
  return c;
}
StreamChanges truncate_to(std::int64_t k) {
  return {true, k, {}};
}

std::vector<std::int64_t> seqs(store::StateStore& s, const std::string& id) {
  for (auto& r : s.load_rooms())
    if (r.id == id) {
      std::vector<std::int64_t> out;
      for (auto& row : r.strokes) out.push_back(row.seq);
      return out;
    }
  return {-1};
}
}  // namespace

TEST_CASE("persistence: stroke changes are composed per room and survive a failed write",
          "[runtime][store]") {
  metrics::Registry registry;
  metrics::ServerMetrics metrics(registry);
  FlakyStore store;
  {
    runtime::Persistence p(store, metrics);
    p.save({"r", "skribble", "{\"v\":1}", {}}, append({1, 2, 3}));
    REQUIRE(p.drain(2s));
    CHECK(seqs(store, "r") == std::vector<std::int64_t>{1, 2, 3});

    store.fail = true;
    p.save({"r", "skribble", "{\"v\":2}", {}}, append({4}));
    std::this_thread::sleep_for(100ms);  // the write failed and waits for its retry
    p.save({"r", "skribble", "{\"v\":3}", {}}, truncate_to(2));
    StreamChanges more = append({5, 6});
    p.save({"r", "skribble", "{\"v\":4}", {}}, std::move(more));
    store.fail = false;
    REQUIRE(p.drain(5s));
    CHECK(seqs(store, "r") == std::vector<std::int64_t>{1, 2, 5, 6});
    CHECK(store.load_rooms().at(0).snapshot == "{\"v\":4}");
    CHECK(metrics.store_retries.value() >= 1);

    // A room removed and a new one under the same id before the writer ran: the old stream goes.
    store.fail = true;
    p.erase("r");
    p.save({"r", "skribble", "{\"new\":1}", {}}, append({1}));
    store.fail = false;
    REQUIRE(p.drain(5s));
    CHECK(seqs(store, "r") == std::vector<std::int64_t>{1});
    p.erase("r");
    REQUIRE(p.drain(5s));
    CHECK(store.load_rooms().empty());
  }
  CHECK(metrics.store_written_bytes.with({"strokes"}).value() > 0);
}
