// Fuzzes restoring a room from a stored snapshot and stroke stream (RoomService::restore): the
// first input byte picks the game (spy or skribble; bit 1 numbers the stream's rows backwards),
// the rest is the stored snapshot text, then, after each NUL byte, one row of the room's stroke
// stream. It is parsed, handed to the game's state_from_json (which may refuse it with a
// std::exception: restore logs and skips such a room) and, when a game comes out, the room lives
// on as the runtime would drive it: the restored event, timers, reconnects, a few messages,
// snapshots with the stroke changes taken beside them, the operator's inspect view and every
// member leaving.
// Invariants: none of this crashes or hits undefined behaviour (ASan, UBSan); a snapshot is
// either refused with an exception or yields a game that can be driven safely; the stroke
// changes the room hands over, applied in order to the stream it was restored from, rebuild its
// stroke log exactly.
#include <algorithm>
#include <memory>

#include "server/games/skribble/skribble_game.hpp"
#include "server/games/spy/spy_game.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace roomctl;
using roomctl::fuzz::violated;
using namespace roomctl::games;
namespace json = boost::json;

namespace {

const skribble::WordLists& words() {
  static const skribble::WordLists w = skribble::builtin_word_lists();
  return w;
}

std::unique_ptr<Game> restore(bool spy, const json::object& snapshot,
                              const std::vector<StreamRow>& rows) {
  try {
    if (spy)
      return std::make_unique<spy::SpyGame>(spy::state_from_json(snapshot),
                                            spy::builtin_word_pairs());
    return std::make_unique<skribble::SkribbleGame>(skribble::state_from_json(snapshot, rows),
                                                    words());
  } catch (const std::exception&) {
    return nullptr;  // refused: restore logs room_restore_failed and goes on
  }
}

void message(Game& g, const std::string& user, const std::string& type, Millis now,
             json::object body = {}) {
  body["type"] = type;
  Event e;
  e.user = user;
  e.type = type;
  e.body = body;
  e.raw = make_frame(json::serialize(body));
  Effects fx;
  g.step(e, now, fx);
}

void event(Game& g, Event::Kind kind, const std::string& user, Millis now) {
  Event e;
  e.kind = kind;
  e.user = user;
  Effects fx;
  g.step(e, now, fx);
}

// The room's stroke log as the legacy snapshot form writes it (raw, time, group of each entry).
std::string stroke_log(Game& g) {
  auto* sk = dynamic_cast<skribble::SkribbleGame*>(&g);
  return sk ? json::serialize(sk->state().strokes.to_json()) : "";
}

// A save of the room actor: the snapshot, and the stroke changes applied to the stored stream.
void save(Game& g, std::vector<StreamRow>& stream) {
  (void)g.snapshot_text();
  g.take_log_changes(false).apply_to(stream);
}

// The stored stream rebuilds the log the game holds.
void check_stream(Game& g, std::vector<StreamRow>& stream) {
  auto* sk = dynamic_cast<skribble::SkribbleGame*>(&g);
  if (!sk) return;
  save(g, stream);
  skribble::StrokeLog rebuilt;
  rebuilt.from_rows(stream);
  if (json::serialize(rebuilt.to_json()) != stroke_log(g))
    violated("the stroke changes rebuild the stroke log", stroke_log(g));
}

// What the room actor does with a restored game, then a short life with its members.
void drive(Game& g, bool spy, Millis now, std::vector<StreamRow> stream) {
  event(g, Event::Kind::restored, "", now);
  (void)g.summary();
  save(g, stream);
  (void)g.inspect(now, true);
  auto members = g.members();  // a copy: leaving changes the game's list
  for (int round = 0; round < 8; ++round) {
    if (auto t = g.timer()) {
      Event e;
      e.kind = Event::Kind::timer;
      e.timer_gen = t->second;
      Effects fx;
      g.step(e, std::max(now, t->first), fx);
    }
    for (const auto& m : members) {
      event(g, Event::Kind::connected, m, now);
      if (spy) {
        message(g, m, "ready", now);
        message(g, m, "skip_speaking_statement", now);
        message(g, m, "vote", now, {{"votedPlayer", members.front()}});
        message(g, m, "send_chat", now, {{"chat", "hi"}});
      } else {
        message(g, m, "START_SKRIBBLE_GAME", now);
        message(g, m, "SKRIBBLE_STROKE", now, {{"x", 1}});
        if (round % 2) save(g, stream);
        message(g, m, "SKRIBBLE_UNDO", now);
        message(g, m, "SKRIBBLE_MESSAGE", now, {{"message", "apple"}});
        message(g, m, "CHOOSE_WORD", now, {{"index", 0}});
        message(g, m, "GET_SKRIBBLE_ROOM_STATE", now);
      }
      message(g, m, "GET_JOIN_EVENTS", now);
      event(g, Event::Kind::disconnected, m, now);
    }
    if (round % 3 == 0) save(g, stream);
    check_stream(g, stream);
    now += 1000;
  }
  save(g, stream);
  (void)g.inspect(now, false);
  for (const auto& m : members) event(g, Event::Kind::leave, m, now);
  (void)g.summary();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  bool spy = data[0] & 1;
  bool backwards = data[0] & 2;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view text = input.substr(0, input.find('\0'));
  std::vector<StreamRow> rows;
  for (auto at = input.find('\0'); at != std::string_view::npos;) {
    auto next = input.find('\0', at + 1);
    auto row = input.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
    rows.push_back({0, std::string(row)});
    at = next;
  }
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i].seq = static_cast<std::int64_t>(backwards ? rows.size() - i : i + 1);
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return 0;  // restore refuses text that is not a JSON object
  auto game = restore(spy, v.as_object(), rows);
  if (game) drive(*game, spy, 1'700'000'000'000, std::move(rows));
  return 0;
}
