// Fuzzes the spy game's pure state machine (SpyGame::step) with event sequences decoded from the
// input: a small bytecode where each op picks a user from a pool of six ids (some multi-byte
// UTF-8), a message type the game handles (or an unknown one) with field values of any length
// and type, or a runtime event (connect, disconnect, grace expiry, clock advance, timer firing,
// a restart through the snapshot). Messages arrive as the runtime delivers them: CREATE_ROOM
// first and once, and nothing once the room is empty (the runtime removes it).
// Invariants checked after every step, each aborting with its name when violated:
//  - every frame is valid UTF-8 and a JSON object with a string "type";
//  - at most one spy: the spy is alive and seated while a game runs, only one user per game is
//    ever told it is the spy, and nobody is told both roles;
//  - secrets: the "spy" frame goes to the spy only and names the spy; the civilian word never
//    reaches the spy or a spectator; room_state shows the spy's word and identity to the spy
//    only and the civilian word to seated civilians only;
//  - snapshot() -> state_from_json -> new game -> snapshot() is the same JSON, and the snapshot
//    text parses back to it.
#include <algorithm>
#include <memory>
#include <set>

#include "server/games/spy/spy_game.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace roomctl;
using namespace roomctl::games;
using namespace roomctl::games::spy;
using roomctl::fuzz::violated;
namespace json = boost::json;

namespace {

using roomctl::fuzz::kUsers;

class Harness : public fuzz::EventDriver<Harness> {
  friend class fuzz::EventDriver<Harness>;

 public:
  explicit Harness(fuzz::Bytes& in) : in_(in) {
    Rules rules;
    rules.mode = in.flag() ? "wordless_spy" : "word_spy";
    rules.max_rounds = static_cast<int>(in.below(4));  // 0 = unlimited
    game_ = std::make_unique<SpyGame>("room-1", rules, builtin_word_pairs(), in.u16());
  }

  void run() {
    std::string creator = user();
    json::object body{{"name", in_.text()}, {"gameMode", game_->state().rules.mode}};
    send(creator, "CREATE_ROOM", body);
    for (int ops = 0; ops < 2000 && !in_.empty() && !game_->members().empty(); ++ops) step();
  }

 private:
  std::string user() {
    auto k = in_.below(8);
    const auto& s = game_->state();
    if (k == 6 && !s.host.empty()) return s.host;
    if (k == 7 && s.phase == Phase::speaking && s.speaker_pos < static_cast<int>(s.speakers.size()))
      return s.speakers[static_cast<std::size_t>(s.speaker_pos)];
    if (k == 7 && !s.alive.empty())
      return s.alive[in_.below(static_cast<std::uint32_t>(s.alive.size()))];
    return kUsers[k % kUsers.size()];
  }

  json::value string_or_junk(std::string text) {
    switch (in_.below(8)) {
      case 0:
        return 42;
      case 1:
        return nullptr;
      default:
        return json::value(std::move(text));
    }
  }

  // Reads are sequenced explicitly (the user first, then the fields), so that an input always
  // decodes to the same scenario whatever order a compiler evaluates arguments in.
  void step() {
    auto op = in_.below(16);
    std::string u = op < 12 ? user() : "";
    json::object body;
    switch (op) {
      case 0:
        body["name"] = string_or_junk(in_.text());
        return send(u, "join_room", body);
      case 1:
        return send(u, "ready");
      case 2:
        return send(u, "notready");
      case 3:
        body["votedPlayer"] = string_or_junk(user());
        return send(u, "vote", body);
      case 4:
        return send(u, "skip_speaking_statement");
      case 5:
        body["chat"] = string_or_junk(in_.text());
        return send(u, "send_chat", body);
      case 6:
        return send(u, "leave_room");
      case 7:
        return send(u, "GET_JOIN_EVENTS");
      case 8:
        return send(u, "no_such_type");
      default:
        return lifecycle_step(op - 9, u, static_cast<Millis>(in_.u16()) * 4);
    }
  }

  // A server restart: the room comes back from its snapshot with everyone disconnected.
  void restart() {
    auto snap = game_->snapshot();
    game_ = std::make_unique<SpyGame>(state_from_json(snap), builtin_word_pairs());
    event(Event::Kind::restored, "");
  }

  games::Game& game() { return *game_; }

  void apply(const Event& e) {
    bool was_running = game_->state().phase != Phase::lobby;
    Effects fx;
    game_->step(e, now_, fx);
    const State& s = game_->state();
    if (!was_running && s.phase != Phase::lobby) told_spy_.clear(), told_civilian_.clear();
    check_state(s);
    for (const auto& d : fuzz::deliveries(fx, game_->members())) check_delivery(s, d);
    check_round_trip();
  }

  const Player* player(const State& s, const std::string& u) const {
    for (const auto& p : s.players)
      if (p.id == u) return &p;
    return nullptr;
  }

  void check_state(const State& s) {
    std::set<std::string> alive(s.alive.begin(), s.alive.end());
    if (alive.size() != s.alive.size()) violated("alive has no duplicates", s.room_id);
    for (const auto& a : s.alive)
      if (!player(s, a)) violated("alive players are seated", a);
    if (s.phase == Phase::lobby) return;
    if (s.spy.empty() || !player(s, s.spy) || !alive.count(s.spy))
      violated("one seated, alive spy while a game runs", s.spy);
  }

  void check_delivery(const State& s, const fuzz::Delivery& d) {
    const Player* to = player(s, d.to);
    bool spectator = to && to->spectator;
    auto type = d.type();
    if (type == "spy") {
      if (d.to != s.spy || fuzz::string_field(d.frame, "player") != s.spy)
        violated("only the spy is told it is the spy", d.to);
      told_spy_.insert(d.to);
    } else if (type == "civilianWord") {
      if (d.to == s.spy || spectator) violated("the civilian word reaches civilians only", d.to);
      told_civilian_.insert(d.to);
    } else if (type == "room_state") {
      const auto& rs = d.frame.at("roomState").as_object();
      const auto& spy = rs.at("spy").as_object();
      if ((!fuzz::string_field(spy, "word").empty() ||
           !fuzz::string_field(spy, "player").empty()) &&
          d.to != s.spy)
        violated("room_state reveals the spy to the spy only", d.to);
      if (!fuzz::string_field(rs, "civilianWord").empty() && (d.to == s.spy || spectator))
        violated("room_state shows the civilian word to civilians only", d.to);
    }
    if (told_spy_.size() > 1) violated("at most one spy per game", d.to);
    for (const auto& u : told_spy_)
      if (told_civilian_.count(u)) violated("nobody is told both roles", u);
  }

  void check_round_trip() {
    auto first = game_->snapshot();
    SpyGame copy(state_from_json(first), builtin_word_pairs());
    if (copy.snapshot() != first) violated("snapshot round trip", json::serialize(first));
    fuzz::check_snapshot_text(game_->snapshot_text(), first);
  }

  fuzz::Bytes& in_;
  std::unique_ptr<SpyGame> game_;
  std::set<std::string> told_spy_, told_civilian_;  // this game's recipients of each role
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  Harness h(in);
  h.run();
  return 0;
}
