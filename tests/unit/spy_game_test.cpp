// Spy game rules with a fake clock (docs/game-rules.md §spy): start, words, speaking, voting,
// resolution, win conditions, leaves, reconnects, spectators, limits and snapshots.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include "server/games/spy/spy_game.hpp"
#include "server/games/spy/word_pairs.hpp"
#include "server/protocol/utf8.hpp"
#include "tests/unit/game_driver.hpp"

using namespace roomctl;
using namespace roomctl::games;
using namespace roomctl::games::spy;
using roomctl::test::GameDriver;
using roomctl::test::s;
namespace json = boost::json;

namespace {
Rules rules(std::string mode = "word_spy") {
  Rules r;
  r.mode = std::move(mode);
  return r;
}

// Creates a room with `n` players p0..p(n-1), all ready: the game starts.
void start_game(GameDriver& d, int n, bool ready = true) {
  d.send("p0", "CREATE_ROOM", {{"name", "P0"}});
  for (int i = 1; i < n; ++i)
    d.send("p" + std::to_string(i), "join_room", {{"name", "P" + std::to_string(i)}});
  if (ready)
    for (int i = 0; i < n; ++i) d.send("p" + std::to_string(i), "ready");
}

// Runs countdown and intro: the first speaker is announced.
void to_speaking(GameDriver& d) {
  d.advance(3000 + 4000);
}

void skip_all(GameDriver& d, SpyGame& g) {
  while (g.state().phase == Phase::speaking)
    d.send(g.state().speakers[g.state().speaker_pos], "skip_speaking_statement");
}

std::string a_civilian(const SpyGame& g, int nth = 0) {
  for (const auto& id : g.state().alive)
    if (id != g.state().spy && nth-- == 0) return id;
  return "";
}
}  // namespace

TEST_CASE("spy: auto-start when all >=3 ready, countdown, words without leaking the spy", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 42);
  GameDriver d(g);
  start_game(d, 2);
  CHECK(g.state().phase == Phase::lobby);  // two players never start
  d.send("p2", "join_room", {{"name", "P2"}});
  CHECK(g.state().phase == Phase::lobby);
  d.send("p2", "ready");
  REQUIRE(g.state().phase == Phase::countdown);
  CHECK(d.any("p1", "gameStarted"));
  d.advance(3000);
  auto counts = d.got("p1", "countdown");
  REQUIRE(counts.size() == 4);
  CHECK(counts[0].at("seconds") == 3);
  CHECK(counts[3].at("seconds") == 0);

  int spies = 0;
  std::set<std::string> civilian_words;
  for (const char* p : {"p0", "p1", "p2"}) {
    auto spy = d.got(p, "spy");
    auto civ = d.got(p, "civilianWord");
    CHECK(spy.size() + civ.size() == 1);
    if (!spy.empty()) {
      ++spies;
      CHECK(s(spy[0].at("player")) == p);
      CHECK(s(spy[0].at("word")) == g.state().spy_word);
    } else {
      CHECK_FALSE(civ[0].contains("player"));  // FIX: no spy id leak
      civilian_words.insert(s(civ[0].at("word")));
    }
  }
  CHECK(spies == 1);
  CHECK(civilian_words.size() == 1);
  CHECK(*civilian_words.begin() != g.state().spy_word);
  CHECK(d.got("p0", "round_started").at(0).at("roundNo") == 1);
}

TEST_CASE("spy: notready is broadcast and blocks the start", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 1);
  GameDriver d(g);
  start_game(d, 3, false);
  d.send("p0", "ready");
  d.send("p1", "ready");
  d.send("p1", "notready");
  CHECK(d.any("p2", "player_not_ready"));
  d.send("p2", "ready");
  CHECK(g.state().phase == Phase::lobby);
}

TEST_CASE("spy: speaking turns, skip by the current speaker only, rotation per round", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 7);
  GameDriver d(g);
  start_game(d, 4);
  to_speaking(d);
  REQUIRE(g.state().phase == Phase::speaking);
  auto first_round = g.state().speakers;
  std::string speaker = first_round[0];
  CHECK(s(d.got("p0", "speak_statement").back().at("currentSpeaker")) == speaker);
  d.send(first_round[1], "skip_speaking_statement");  // not their turn: ignored
  CHECK(g.state().speaker_pos == 0);
  d.send(speaker, "skip_speaking_statement");
  CHECK(g.state().speaker_pos == 1);
  d.advance(15000);  // the timer moves on too
  CHECK(g.state().speaker_pos == 2);
  d.advance(30000);
  REQUIRE(g.state().phase == Phase::voting);
  for (const auto& id : g.state().alive) CHECK(d.any(id, "start_voting"));
  d.advance(15000 + 4000);  // nobody votes: reveal then next round
  REQUIRE(g.state().phase == Phase::round_intro);
  d.advance(4000);
  REQUIRE(g.state().phase == Phase::speaking);
  CHECK(g.state().speakers[0] != first_round[0]);  // FIX: the first speaker rotates
}

TEST_CASE("spy: vote rules, early close, tie means nobody is out", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 3);
  GameDriver d(g);
  start_game(d, 4);
  to_speaking(d);
  d.send("p0", "vote", {{"votedPlayer", "p1"}});
  CHECK(s(d.got("p0", "error").back().at("message")) == "Voting is not open");
  skip_all(d, g);
  REQUIRE(g.state().phase == Phase::voting);
  d.clear();
  d.send("p0", "vote", {{"votedPlayer", "p0"}});
  CHECK(s(d.got("p0", "error").back().at("code")) == "bad_vote");  // FIX: no self-vote
  d.send("p0", "vote", {{"votedPlayer", "ghost"}});
  CHECK(d.got("p0", "error").size() == 2);
  // 2 votes for p0... a 2-2 tie: p0,p1 vote p2/p3 and p2,p3 vote p0/p1 pairwise.
  d.send("p0", "vote", {{"votedPlayer", "p1"}});
  d.send("p0", "vote", {{"votedPlayer", "p2"}});  // re-vote replaces
  d.send("p1", "vote", {{"votedPlayer", "p2"}});
  d.send("p2", "vote", {{"votedPlayer", "p3"}});
  CHECK(g.state().phase == Phase::voting);
  d.send("p3", "vote", {{"votedPlayer", "p3"}});  // self: refused
  d.send("p3", "vote", {{"votedPlayer", "p1"}});
  REQUIRE(g.state().phase == Phase::reveal);  // FIX: closed early, everyone voted
  auto ev = d.got("p0", "end_voting").at(0);
  CHECK(ev.at("votingResults").at("p2").as_array().size() == 2);
  CHECK(s(ev.at("maxVotes").at("player")) == "p2");

  // Unless p2 was the spy, p2 is eliminated.
  bool spy_was_p2 = g.state().spy == "p2";
  d.advance(4000);
  if (spy_was_p2) {
    CHECK(s(d.got("p0", "game_ended").at(0).at("winner")) == "civilians");
  } else {
    auto alive = d.got("p0", "alivePlayers").at(0).at("alivePlayers").as_array();
    CHECK(alive.size() == 3);
  }
}

TEST_CASE("spy: a tie or no votes eliminates nobody (maxVotes null)", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 5);
  GameDriver d(g);
  start_game(d, 4);
  to_speaking(d);
  skip_all(d, g);
  d.send("p0", "vote", {{"votedPlayer", "p1"}});
  d.send("p1", "vote", {{"votedPlayer", "p0"}});
  d.advance(15000);
  auto ev = d.got("p2", "end_voting").at(0);
  CHECK(ev.at("maxVotes").is_null());
  d.advance(4000);
  CHECK(g.state().alive.size() == 4);
  CHECK(d.got("p2", "round_started").back().at("roundNo") == 2);
}

TEST_CASE("spy: catching the spy makes civilians win, then the room is back in the lobby",
          "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 11);
  GameDriver d(g);
  start_game(d, 3);
  to_speaking(d);
  skip_all(d, g);
  std::string spy = g.state().spy;
  for (const auto& id : g.state().alive)
    d.send(id, "vote", {{"votedPlayer", id == spy ? a_civilian(g) : spy}});
  d.advance(4000);
  auto ended = d.got("p0", "game_ended");
  REQUIRE(ended.size() == 1);
  CHECK(s(ended[0].at("winner")) == "civilians");
  CHECK(s(ended[0].at("spy")) == spy);
  CHECK(g.state().phase == Phase::lobby);
  CHECK(g.state().spy.empty());
  for (const auto& p : g.state().players) CHECK_FALSE(p.ready);
  CHECK(d.history.back().game_finished_outcome == "civilians");
}

TEST_CASE("spy: eliminating civilians down to parity makes the spy win", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 13);
  GameDriver d(g);
  start_game(d, 4);
  for (int round = 0; round < 2 && g.state().phase != Phase::lobby; ++round) {
    d.advance(4000 + (round == 0 ? 3000 : 0));
    skip_all(d, g);
    std::string target = a_civilian(g);
    for (const auto& id : g.state().alive)
      d.send(id, "vote", {{"votedPlayer", id == target ? a_civilian(g, 1) : target}});
    d.advance(4000);
  }
  auto ended = d.got("p0", "game_ended");
  REQUIRE(ended.size() == 1);
  CHECK(s(ended[0].at("winner")) == "spy");
}

TEST_CASE("spy: maxRounds guard ends an endless game with a spy win", "[spy]") {
  Rules r = rules();
  r.max_rounds = 2;
  SpyGame g("room", r, builtin_word_pairs(), 17);
  GameDriver d(g);
  start_game(d, 3);
  d.advance(10 * 60 * 1000);  // nobody ever votes
  auto ended = d.got("p0", "game_ended");
  REQUIRE(ended.size() == 1);
  CHECK(s(ended[0].at("winner")) == "spy");
  CHECK(s(ended[0].at("reason")) == "max_rounds");
}

TEST_CASE("spy: a civilian leaving re-checks the win condition at once", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 19);
  GameDriver d(g);
  start_game(d, 3);
  to_speaking(d);
  d.send(a_civilian(g), "leave_room");
  auto ended = d.got(g.members().front(), "game_ended");
  REQUIRE(ended.size() == 1);
  CHECK(s(ended[0].at("winner")) == "spy");  // 2 alive, one of them the spy
}

TEST_CASE("spy: the current speaker leaving hands the turn to the next", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 23);
  GameDriver d(g);
  start_game(d, 5);
  to_speaking(d);
  // Make sure the leaver is a civilian speaking now.
  while (g.state().speakers[g.state().speaker_pos] == g.state().spy)
    d.send(g.state().spy, "skip_speaking_statement");
  std::string speaker = g.state().speakers[g.state().speaker_pos];
  std::string next = g.state().speakers[g.state().speaker_pos + 1];
  d.clear();
  d.send(speaker, "leave_room");
  CHECK(d.any(next, "player_left"));
  CHECK(s(d.got(next, "speak_statement").back().at("currentSpeaker")) == next);
}

TEST_CASE("spy: leaving during voting drops the leaver's votes and the votes for them", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 29);
  GameDriver d(g);
  start_game(d, 5);
  to_speaking(d);
  skip_all(d, g);
  std::string c0 = a_civilian(g, 0), c1 = a_civilian(g, 1), c2 = a_civilian(g, 2);
  d.send(c0, "vote", {{"votedPlayer", c1}});
  d.send(c1, "vote", {{"votedPlayer", c0}});
  d.send(c2, "vote", {{"votedPlayer", c1}});
  d.send(c1, "leave_room");
  for (const auto& [target, voters] : g.state().votes) {
    CHECK(target != c1);
    for (const auto& v : voters) CHECK(v != c1);
  }
  CHECK(g.state().alive.size() == 4);
}

TEST_CASE("spy: the spy leaving (explicitly or at grace expiry) makes civilians win", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 31);
  GameDriver d(g);
  start_game(d, 4);
  to_speaking(d);
  std::string spy = g.state().spy;
  d.event(Event::Kind::disconnected, spy);  // within grace: nothing happens
  CHECK(g.state().phase == Phase::speaking);
  d.event(Event::Kind::leave, spy);  // the grace expired
  auto ended = d.got(a_civilian(g) == "" ? g.members().front() : g.members().front(), "game_ended");
  REQUIRE(ended.size() == 1);
  CHECK(s(ended[0].at("winner")) == "civilians");
  CHECK(s(ended[0].at("reason")) == "spy_left");
}

TEST_CASE("spy: a reconnecting spy gets its word and the current turn back", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 37);
  GameDriver d(g);
  start_game(d, 3);
  to_speaking(d);
  std::string spy = g.state().spy;
  d.event(Event::Kind::disconnected, spy);
  d.clear();
  d.event(Event::Kind::connected, spy);
  CHECK(s(d.got(spy, "spy").at(0).at("word")) == g.state().spy_word);
  CHECK(d.any(spy, "speak_statement"));
  auto st = d.got(spy, "room_state").at(0).at("roomState").as_object();
  CHECK(s(st.at("spy").at("player")) == spy);
  CHECK(s(st.at("civilianWord")).empty());
}

TEST_CASE("spy: room_state never leaks secrets to civilians or spectators", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 41);
  GameDriver d(g);
  start_game(d, 3);
  to_speaking(d);
  d.send("late", "join_room", {{"name", "Late"}});
  auto spectator = d.got("late", "room_state").at(0).at("roomState").as_object();
  CHECK(s(spectator.at("civilianWord")).empty());
  CHECK(s(spectator.at("spy").at("player")).empty());
  CHECK(spectator.at("spectators").as_array().size() == 1);
  std::string civ = a_civilian(g);
  d.send(civ, "GET_JOIN_EVENTS");
  auto view = d.got(civ, "room_state").back().at("roomState").as_object();
  CHECK(s(view.at("civilianWord")) == g.state().civilian_word);
  CHECK(s(view.at("spy").at("player")).empty());
  CHECK(s(view.at("spy").at("word")).empty());
}

TEST_CASE("spy: a mid-game joiner spectates and cannot vote, then plays the next game", "[spy]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 43);
  GameDriver d(g);
  start_game(d, 3);
  to_speaking(d);
  d.send("late", "join_room", {{"name", "Late"}});
  CHECK(d.got("late", "join_room_response").at(0).at("status") == true);
  skip_all(d, g);
  d.send("late", "vote", {{"votedPlayer", "p0"}});
  CHECK(s(d.got("late", "error").back().at("message")) == "You cannot vote as you are not alive");
  CHECK_FALSE(d.any("late", "start_voting"));
  std::string spy = g.state().spy;
  for (const auto& id : g.state().alive)
    d.send(id, "vote", {{"votedPlayer", id == spy ? a_civilian(g) : spy}});
  d.advance(4000);
  REQUIRE(g.state().phase == Phase::lobby);
  for (const char* p : {"p0", "p1", "p2", "late"}) d.send(p, "ready");
  CHECK(g.state().alive.size() == 4);
}

TEST_CASE("spy: full room, unknown member, chat, host migration, wordless mode", "[spy]") {
  SpyGame g("room", rules("wordless_spy"), builtin_word_pairs(), 47);
  GameDriver d(g);
  start_game(d, 6, false);
  d.send("p6", "join_room", {{"name", "P6"}});
  auto refused = d.got("p6", "join_room_response").at(0);
  CHECK(refused.at("status") == false);
  CHECK(s(refused.at("message")) == "Room is full");
  d.send("stranger", "ready");
  CHECK(s(d.got("stranger", "error").at(0).at("code")) == "not_in_room");
  d.send("p1", "send_chat", {{"chat", "hello"}});
  CHECK(s(d.got("p4", "chat").at(0).at("chat")) == "hello");
  d.send("p1", "send_chat", {{"chat", std::string(2000, 'x')}});
  CHECK(s(d.got("p1", "error").back().at("code")) == "chat_too_long");
  d.send("p0", "leave_room");
  CHECK(g.state().host == "p1");
  for (int i = 1; i < 6; ++i) d.send("p" + std::to_string(i), "ready");
  d.advance(3000);
  CHECK(s(d.got(g.state().spy, "spy").at(0).at("word")) == "Wordless");
}

TEST_CASE("spy: timers scale with time_scale and stale timers are ignored", "[spy]") {
  Rules r = rules();
  r.time_scale = 0.01;
  SpyGame g("room", r, builtin_word_pairs(), 53);
  GameDriver d(g);
  start_game(d, 3);
  REQUIRE(g.timer());
  CHECK(g.timer()->first == d.now + 10);
  auto stale_gen = g.timer()->second;
  d.advance(10);
  Event e;
  e.kind = Event::Kind::timer;
  e.timer_gen = stale_gen;
  Effects fx;
  g.step(e, d.now + 1000, fx);
  CHECK(fx.out.empty());
  d.advance(30 + 40);
  CHECK(g.state().phase == Phase::speaking);
}

TEST_CASE("spy: snapshot round trip is lossless in every phase", "[spy][snapshot]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 59);
  GameDriver d(g);
  std::set<std::string> phases;
  auto check_round_trip = [&] {
    auto snap = g.snapshot();
    SpyGame restored(state_from_json(snap), builtin_word_pairs());
    CHECK(json::serialize(restored.snapshot()) == json::serialize(snap));
    CHECK(restored.members() == g.members());
    phases.insert(phase_name(g.state().phase));
  };
  start_game(d, 4, false);
  d.send("p1", "send_chat", {{"chat", "hi"}});
  check_round_trip();
  for (int i = 0; i < 4; ++i) d.send("p" + std::to_string(i), "ready");
  check_round_trip();  // countdown
  d.advance(3000);
  check_round_trip();  // round intro
  d.advance(4000);
  check_round_trip();  // speaking
  skip_all(d, g);
  d.send(g.state().alive[0], "vote", {{"votedPlayer", g.state().alive[1]}});
  check_round_trip();  // voting with a vote cast
  d.advance(15000);
  check_round_trip();  // reveal
  CHECK(phases.size() == 6);

  // A restored game continues exactly like the original.
  SpyGame copy(state_from_json(g.snapshot()), builtin_word_pairs());
  GameDriver d2(copy, d.now);
  d.advance(4000);
  d2.advance(4000);
  CHECK(json::serialize(copy.snapshot()) == json::serialize(g.snapshot()));
}

TEST_CASE("spy: word pairs: at least 100 built in, file loader validates", "[spy]") {
  CHECK(builtin_word_pairs().size() >= 100);
  auto pairs = load_word_pairs(std::string(ROOMCTL_SOURCE_DIR) + "/data/spy_word_pairs.txt");
  CHECK(pairs.size() >= 100);
  CHECK_THROWS_WITH(load_word_pairs("/nonexistent/pairs.txt"), Catch::Contains("cannot open"));
}

TEST_CASE("spy: a long name of multi-byte letters is cut to whole letters", "[spy][utf8]") {
  const std::string han = "\xE6\xBC\xA2";  // 3 bytes: the 32-byte cut falls inside a letter
  std::string long_name;
  for (int i = 0; i < 14; ++i) long_name += han;  // 42 bytes
  SpyGame g("room", rules(), builtin_word_pairs(), 7);
  GameDriver d(g);
  d.send("p0", "CREATE_ROOM", {{"name", long_name}});
  d.send("p1", "join_room", {{"name", "P1 \xC3\xA9"}});
  d.send("p1", "send_chat", {{"chat", "caf\xC3\xA9 \xF0\x9F\x98\x80"}});
  d.send("p1", "GET_JOIN_EVENTS");  // the player list comes only on request (as ORIG)

  // The limit stays 32 bytes; the cut moves back to the last whole letter.
  CHECK(g.state().players.at(0).name == long_name.substr(0, 30));
  CHECK(s(d.got("p1", "playerList").back().at("playerList").at(0).at("name")) ==
        long_name.substr(0, 30));
  CHECK(d.frames_valid_utf8());

  // A join over the limit is refused as before (no cut there), and the reply is valid too.
  d.send("p2", "join_room", {{"name", long_name}});
  CHECK(s(d.got("p2", "error").back().at("code")) == "bad_field");
  CHECK(d.frames_valid_utf8());

  // The snapshot round-trips through its text form, the form the state store keeps.
  std::string text = json::serialize(g.snapshot());
  CHECK(protocol::valid_utf8(text));
  SpyGame restored(state_from_json(json::parse(text).as_object()), builtin_word_pairs());
  CHECK(json::serialize(restored.snapshot()) == text);
}

TEST_CASE("spy: a word pairs file that is not UTF-8 is refused with its line", "[spy][utf8]") {
  auto path = std::filesystem::temp_directory_path() /
              ("roomctl_pairs_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(path);
    out << "# pairs\nCaf\xC3\xA9,Th\xC3\xA9\nCaf\xE9,Tea\n";  // line 3 is Latin-1
  }
  CHECK_THROWS_WITH(load_word_pairs(path.string()), Catch::Contains(":3: not valid UTF-8"));
  std::filesystem::remove(path);
}

TEST_CASE("spy: a snapshot whose speaker position is out of range is refused", "[spy][snapshot]") {
  SpyGame g("room", rules(), builtin_word_pairs(), 5);
  GameDriver d(g);
  start_game(d, 4);
  to_speaking(d);
  auto snap = g.snapshot();
  CHECK_NOTHROW(state_from_json(snap));
  snap["speakerPos"] = -1;  // speakers[-1] on the next skip
  CHECK_THROWS_WITH(state_from_json(snap), Catch::Contains("speakerPos"));
}
