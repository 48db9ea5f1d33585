// Fuzzes restoring a room from a stored snapshot (RoomService::restore): the first input byte
// picks the game (spy or skribble), the rest is the stored snapshot text. It is parsed, handed to
// the game's state_from_json (which may refuse it with a std::exception: restore logs and skips
// such a room) and, when a game comes out, the room lives on as the runtime would drive it: the
// restored event, timers, reconnects, a few messages, snapshots, the operator's inspect view and
// every member leaving.
// Invariant: none of this crashes or hits undefined behaviour (ASan, UBSan); a snapshot is either
// refused with an exception or yields a game that can be driven safely.
#include <algorithm>
#include <memory>

#include "server/games/skribble/skribble_game.hpp"
#include "server/games/spy/spy_game.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace roomctl;
using namespace roomctl::games;
namespace json = boost::json;

namespace {

const skribble::WordLists& words() {
  static const skribble::WordLists w = skribble::builtin_word_lists();
  return w;
}

std::unique_ptr<Game> restore(bool spy, const json::object& snapshot) {
  try {
    if (spy)
      return std::make_unique<spy::SpyGame>(spy::state_from_json(snapshot),
                                            spy::builtin_word_pairs());
    return std::make_unique<skribble::SkribbleGame>(skribble::state_from_json(snapshot), words());
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

// What the room actor does with a restored game, then a short life with its members.
void drive(Game& g, bool spy, Millis now) {
  event(g, Event::Kind::restored, "", now);
  (void)g.summary();
  (void)g.snapshot_text();
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
        message(g, m, "SKRIBBLE_UNDO", now);
        message(g, m, "SKRIBBLE_MESSAGE", now, {{"message", "apple"}});
        message(g, m, "CHOOSE_WORD", now, {{"index", 0}});
        message(g, m, "GET_SKRIBBLE_ROOM_STATE", now);
      }
      message(g, m, "GET_JOIN_EVENTS", now);
      event(g, Event::Kind::disconnected, m, now);
    }
    now += 1000;
  }
  (void)g.snapshot_text();
  (void)g.inspect(now, false);
  for (const auto& m : members) event(g, Event::Kind::leave, m, now);
  (void)g.summary();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  bool spy = data[0] & 1;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return 0;  // restore refuses text that is not a JSON object
  auto game = restore(spy, v.as_object());
  if (game) drive(*game, spy, 1'700'000'000'000);
  return 0;
}
