// Fuzzes the skribble game's pure state machine (SkribbleGame::step) with event sequences decoded
// from the input: each op picks a user from a pool of six ids (some multi-byte UTF-8) or the
// host or drawer, and a message type the game handles (lobby, settings with in- and
// out-of-range values and multi-byte custom words, drawing messages, chat that is sometimes the
// right or a close guess, word choice, vote kick) or a runtime event (connect, disconnect, grace
// expiry, clock advance, timer firing, a restart through the snapshot). CREATE_SKRIBBLE_ROOM
// comes first and once; nothing arrives once the room is empty (the runtime removes it).
// Invariants checked after every step, each aborting with its name when violated:
//  - every frame is valid UTF-8 and a JSON object with a string "type";
//  - scores are never negative;
//  - the word never reaches a player who neither draws nor has guessed it (before or after the
//    step): no WORD or CHOOSE_WORD frame, no WORD_MATCHED or ROOM_STATE carrying the word, no
//    chat line addressed to those who know it. ROUND_END reveals the word to all, by design;
//  - snapshot() -> state_from_json -> new game -> snapshot() is the same JSON, and
//    snapshot_text() parses back to it;
//  - the stroke changes the game hands over (take_log_changes, taken every few steps as the room
//    actor's saves coalesce), applied in order to a stored stream, rebuild its stroke log
//    exactly; a restart restores from the snapshot and that stream (every other one as if the
//    store had lost it and the room had written it whole again).
#include <algorithm>
#include <cctype>
#include <memory>
#include <set>

#include "server/games/skribble/guess_rules.hpp"
#include "server/games/skribble/skribble_game.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace roomctl;
using namespace roomctl::games;
using namespace roomctl::games::skribble;
using roomctl::fuzz::violated;
namespace json = boost::json;

namespace {

using roomctl::fuzz::kUsers;
const char* const kDrawTypes[] = {
    "SKRIBBLE_STROKE",        "SKRIBBLE_POINT",        "SKRIBBLE_DRAW",
    "START_SKRIBBLE_DRAWING", "STOP_SKRIBBLE_DRAWING", "SKRIBBLE_CLEAR",
    "SKRIBBLE_UNDO",          "SKRIBBLE_REDO",         "SKRIBBLE_TOOL_CHANGE",
    "SKRIBBLE_COLOR_CHANGE",  "SKRIBBLE_WIDTH_CHANGE"};

const WordLists& words() {
  static const WordLists w = builtin_word_lists();
  return w;
}

bool drawer_of(const State& s, const std::string& u) {
  bool running = s.phase != Phase::lobby && s.phase != Phase::game_over;
  return running && s.drawer_idx >= 0 && s.drawer_idx < static_cast<int>(s.players.size()) &&
         s.players[static_cast<std::size_t>(s.drawer_idx)].id == u;
}

// Who may know the word: the drawer and those who guessed it.
std::set<std::string> knowers(const State& s) {
  std::set<std::string> k;
  for (const auto& p : s.players)
    if (p.guessed || drawer_of(s, p.id)) k.insert(p.id);
  return k;
}

class Harness : public fuzz::EventDriver<Harness> {
  friend class fuzz::EventDriver<Harness>;

 public:
  explicit Harness(fuzz::Bytes& in) : in_(in) {
    Rules rules;
    rules.max_players_cap = 2 + static_cast<int>(in.below(19));
    rules.stroke_log_max_events = 1 + in.below(64);  // small, so that the log fills up
    rules.stroke_log_max_bytes = 64 + in.u16();
    game_ = std::make_unique<SkribbleGame>("room-1", rules, words(), in.u16());
  }

  void run() {
    std::string creator = user();
    json::object body{{"PlayerName", in_.text()}, {"avatar", in_.text()}};
    send(creator, "CREATE_SKRIBBLE_ROOM", body);
    for (int ops = 0; ops < 2000 && !in_.empty() && !game_->members().empty(); ++ops) step();
  }

 private:
  std::string user() {
    auto k = in_.below(8);
    const auto& s = game_->state();
    if (k == 6 && !s.host.empty()) return s.host;
    if (k == 7 && s.drawer_idx >= 0 && s.drawer_idx < static_cast<int>(s.players.size()))
      return s.players[static_cast<std::size_t>(s.drawer_idx)].id;
    return kUsers[k % kUsers.size()];
  }

  // A chat line: free text, or the word itself in some spelling, or a near miss.
  std::string guess() {
    std::string w = game_->state().word;
    switch (in_.below(5)) {
      case 0:
        return w;
      case 1:
        std::transform(w.begin(), w.end(), w.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        return "  " + w + " ";
      case 2:
        if (!w.empty()) w[in_.below(static_cast<std::uint32_t>(w.size()))] = 'q';
        return w;
      default:
        return in_.text();
    }
  }

  // Settings fields, each present or not, mostly in range and sometimes just outside it.
  json::object settings() {
    json::object o;
    auto number = [&](const char* key, int lo, int hi) {
      if (!in_.flag()) return;
      int v = lo - 1 + static_cast<int>(in_.below(static_cast<std::uint32_t>(hi - lo + 3)));
      if (in_.flag())
        o[key] = v;
      else
        o[key] = std::to_string(v);  // ORIG clients send numbers as strings too
    };
    number("players", 2, 20);
    number("drawtime", 15, 240);
    number("rounds", 2, 10);
    number("wordChoices", 0, 5);
    number("hints", 0, 5);
    static const char* const levels[] = {"easy", "medium", "hard", "extreme"};
    if (in_.flag()) o["difficulty"] = levels[in_.below(4)];
    if (in_.flag()) {
      json::array list;
      for (int k = in_.below(6); k > 0; --k) list.push_back(json::value(in_.text()));
      if (in_.flag()) {
        o["customWords"] = std::move(list);
      } else {
        std::string joined;
        for (const auto& w : list) joined += std::string(w.as_string()) + ",";
        o["customWords"] = joined;
      }
    }
    if (in_.flag()) o["customOnly"] = in_.flag();
    return o;
  }

  // Reads are sequenced explicitly (the user first, then the fields), so that an input always
  // decodes to the same scenario whatever order a compiler evaluates arguments in.
  void step() {
    auto op = in_.below(20);
    std::string u = op < 15 ? user() : "";
    json::object body;
    switch (op) {
      case 0:
        body["name"] = in_.text();
        body["avatar"] = in_.text();
        return send(u, "JOIN_SKRIBBLE_ROOM", body);
      case 1: {
        std::string type = kDrawTypes[in_.below(11)];
        body["x"] = in_.u16();
        body["data"] = in_.text();
        return send(u, type, body);
      }
      case 2:
        body["message"] = guess();
        return send(u, "SKRIBBLE_MESSAGE", body);
      case 3:
        return send(u, "GET_JOIN_EVENTS");
      case 4:
        body["settings"] = settings();
        return send(u, "SKRIBBLE_GAME_SETTINGS", body);
      case 5:
        return send(u, "START_SKRIBBLE_GAME");
      case 6:
        return send(u, "LEAVE_SKRIBBLE_ROOM");
      case 7:
        body["index"] = static_cast<int>(in_.below(7)) - 1;
        return send(u, "CHOOSE_WORD", body);
      case 8:
        body["targetId"] = user();
        return send(u, "VOTE_KICK", body);
      case 9:
        return send(u, "GET_SKRIBBLE_ROOM_STATE");
      case 10:
        return send(u, "SKRIBBLE_ROUND_END");
      case 11: {
        static const char* const other[] = {"GET_SKRIBBLE_WORD", "SKRIBBLE_TIMER", "no_such_type"};
        return send(u, other[in_.below(3)]);
      }
      case 16:  // a shorter step of the clock, to land inside a turn
        return advance(static_cast<Millis>(in_.byte()) * 20);
      default:
        return lifecycle_step(op == 17 || op == 18 ? op - 13 : op - 12, u,
                              static_cast<Millis>(in_.u16()) * 4);
    }
  }

  // A server restart: the room comes back from its snapshot and stroke stream with everyone
  // disconnected.
  void restart() {
    if (++restarts_ % 2 == 0) stream_.clear();  // the store was replaced: all is written again
    save(restarts_ % 2 == 0);
    auto snap = game_->snapshot();
    game_ = std::make_unique<SkribbleGame>(state_from_json(snap, stream_), words());
    event(Event::Kind::restored, "");
  }

  // The room actor's save: the stroke changes since the last one go to the stored stream.
  void save(bool all = false) { game_->take_log_changes(all).apply_to(stream_); }

  games::Game& game() { return *game_; }

  void apply(const Event& e) {
    auto knew = knowers(game_->state());
    Effects fx;
    game_->step(e, now_, fx);
    const State& s = game_->state();
    for (const auto& p : s.players)
      if (p.score < 0) violated("scores are never negative", p.id + " " + std::to_string(p.score));
    auto knows = knowers(s);
    for (const auto& d : fuzz::deliveries(fx, game_->members()))
      if (!knew.count(d.to) && !knows.count(d.to)) check_secret(s, d);
    if (++steps_ % 3 == 0) save();  // saves coalesce several steps
    check_round_trip();
  }

  void check_secret(const State& s, const fuzz::Delivery& d) {
    auto type = d.type();
    bool leak = type == "WORD" || type == "CHOOSE_WORD" ||
                (type == "WORD_MATCHED" && d.frame.contains("word")) ||
                (type == "ROOM_STATE" && !fuzz::string_field(d.frame, "word").empty()) ||
                (type == "MESSAGE" && d.out->to == Outbound::To::one);
    if (leak)
      violated("the word reaches only the drawer and those who guessed it",
               d.to + " got " + json::serialize(d.frame) + " (word " + s.word + ")");
  }

  void check_round_trip() {
    auto first = game_->snapshot();
    SkribbleGame copy(state_from_json(first), words());
    if (copy.snapshot() != first) violated("snapshot round trip", json::serialize(first));
    fuzz::check_snapshot_text(game_->snapshot_text(), first);
    if (steps_ % 3 != 0) return;  // the stream is current right after a save
    StrokeLog rebuilt;
    rebuilt.from_rows(stream_);
    auto log = json::serialize(game_->state().strokes.to_json());
    if (json::serialize(rebuilt.to_json()) != log)
      violated("the stroke changes rebuild the stroke log", log);
  }

  fuzz::Bytes& in_;
  std::unique_ptr<SkribbleGame> game_;
  std::vector<StreamRow> stream_;  // the store's copy of the room's stroke stream
  unsigned steps_ = 0, restarts_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  Harness h(in);
  h.run();
  return 0;
}
