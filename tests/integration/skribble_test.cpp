// Skribble rooms end to end against the real binary: a complete 3-round game whose score card
// is checked against the rules, late joiners and the stroke log, drawer-only drawing, the drawer
// leaving mid-turn.
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <map>
#include <thread>

#include "server/games/skribble/guess_rules.hpp"
#include "tests/integration/cluster_nodes.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
const std::vector<std::string> kFast = {"games.time_scale=0.05", "rooms.sweep_interval=50ms"};

// Player i connects to ports[i % ports.size()]: several ports are the nodes of a cluster.
std::vector<std::unique_ptr<Player>> make_room(const std::vector<std::uint16_t>& ports,
                                               const std::string& room, int n) {
  std::vector<std::unique_ptr<Player>> ps;
  for (int i = 0; i < n; ++i)
    ps.push_back(
        std::make_unique<Player>(ports[i % ports.size()], room + "-p" + std::to_string(i)));
  ps[0]->skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", room}, {"PlayerName", "P0"}});
  REQUIRE(ps[0]->next("create_room_response")->at("status") == true);
  for (int i = 1; i < n; ++i) {
    ps[i]->skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", room}, {"name", "P" + std::to_string(i)}});
    REQUIRE(ps[i]->next("join_room_response")->at("status") == true);
  }
  return ps;
}

std::vector<std::unique_ptr<Player>> make_room(std::uint16_t port, const std::string& room, int n) {
  return make_room(std::vector<std::uint16_t>{port}, room, n);
}

Player& by_id(std::vector<std::unique_ptr<Player>>& ps, const std::string& id) {
  for (auto& p : ps)
    if (p->user == id) return *p;
  throw std::runtime_error("unknown player " + id);
}

// Waits on p for a SECOND_TIMER with time >= t; returns the time seen.
std::int64_t wait_tick(Player& p, std::int64_t t) {
  while (auto m = p.next("SECOND_TIMER", 10s)) {
    if (m->at("time").as_int64() >= t) return m->at("time").as_int64();
  }
  FAIL("no SECOND_TIMER reached " << t);
  return -1;
}
}  // namespace

// A 3-round game with 4 players whose score card follows the rules; `finished` reads the
// number of completed games from the server(s).
static void three_round_game(const std::vector<std::uint16_t>& ports,
                             const std::function<double(const std::string&)>& metric) {
  auto ps = make_room(ports, "sk1", 4);
  ps[0]->skribble(
      "SKRIBBLE_GAME_SETTINGS",
      {{"roomId", "sk1"}, {"settings", {{"rounds", 3}, {"drawtime", 15}, {"hints", 1}}}});
  REQUIRE(ps[1]->next("SKRIBBLE_GAME_SETTINGS"));  // relayed to the others
  ps[0]->skribble("START_SKRIBBLE_GAME", {{"roomId", "sk1"}});

  std::map<std::string, std::int64_t> expected;
  std::vector<std::string> drawers;
  for (int turn = 0; turn < 12; ++turn) {
    auto rn = ps[0]->next("ROUND_NUMBER");
    REQUIRE(rn);
    std::string drawer = str(*rn, "currentUser");
    drawers.push_back(drawer);
    CHECK(rn->at("currentRoundNo").as_int64() == turn / 4 + 1);
    for (auto& p : ps) {
      p->skip_all("SECOND_TIMER");
      p->skip_all("WORD_MATCHED");
    }
    auto word = by_id(ps, drawer).next("WORD");
    REQUIRE(word);
    std::string w = str(*word, "word");
    // The non-drawers in join order after the drawer: the first guesses at once (200), the second
    // at 7 s (120), the third never. A guess can land one tick later: still the same fifth.
    std::vector<std::string> guessers;
    int d = 0;
    for (int i = 0; i < 4; ++i)
      if (ps[i]->user == drawer) d = i;
    for (int k = 1; k < 4; ++k) guessers.push_back(ps[(d + k) % 4]->user);
    auto words_seen = [&](const std::string& id) {
      auto& p = by_id(ps, id);
      p.pump(std::chrono::milliseconds(0));
      return std::count_if(p.all.begin(), p.all.end(),
                           [](auto& o) { return str(o, "type") == "WORD"; });
    };
    for (auto& g : guessers)  // only drawers ever got WORD
      CHECK(words_seen(g) == std::count(drawers.begin(), drawers.end(), g));

    std::int64_t t1 = wait_tick(by_id(ps, guessers[0]), 1);
    by_id(ps, guessers[0]).skribble("SKRIBBLE_MESSAGE", {{"roomId", "sk1"}, {"message", w}});
    std::int64_t t2 = wait_tick(by_id(ps, guessers[1]), 7);
    by_id(ps, guessers[1]).skribble("SKRIBBLE_MESSAGE", {{"roomId", "sk1"}, {"message", w}});
    CHECK(t1 <= 2);
    CHECK(t2 <= 8);

    auto end = ps[0]->next("ROUND_END");
    REQUIRE(end);
    CHECK(str(*end, "word") == w);
    CHECK(str(*end, "reason") == "time");
    auto score = end->at("roundScore").as_object();
    CHECK(score.at(guessers[0]).as_int64() == 200);
    CHECK(score.at(guessers[1]).as_int64() == 120);
    CHECK(score.at(guessers[2]).as_int64() == 0);
    CHECK(score.at(drawer).as_int64() == (200 + 120) / 2);  // drawer: average over the guessers
    for (auto& [id, v] : score) expected[std::string(id)] += v.as_int64();
    // The guess announcement carries the word only for who knows it.
    auto matched = by_id(ps, guessers[2]).next("WORD_MATCHED");
    REQUIRE(matched);
    CHECK_FALSE(matched->contains("word"));
  }
  CHECK(drawers == std::vector<std::string>{"sk1-p0", "sk1-p1", "sk1-p2", "sk1-p3", "sk1-p0",
                                            "sk1-p1", "sk1-p2", "sk1-p3", "sk1-p0", "sk1-p1",
                                            "sk1-p2", "sk1-p3"});
  auto over = ps[2]->next("GAME_OVER");
  REQUIRE(over);
  auto card = over->at("ScoreCard").as_array();
  REQUIRE(card.size() == 4);
  for (std::size_t i = 0; i < card.size(); ++i) {
    auto& e = card[i].as_object();
    CHECK(e.at("score").as_int64() == expected[str(e, "userId")]);
    if (i > 0) CHECK(card[i - 1].at("score").as_int64() >= e.at("score").as_int64());
  }
  CHECK(metric(R"(roomctl_games_finished_total{game="skribble",outcome="completed"})") == 1);
}

TEST_CASE("skribble end to end: a 3-round game with 4 players, the score card follows the rules",
          "[skribble][e2e]") {
  ServerProcess server(kFast);
  three_round_game({server.port()}, [&](const std::string& s) { return server.metric(s); });
}

TEST_CASE("cluster: the 3-round skribble game with its players on three nodes keeps its scores",
          "[skribble][e2e][cluster]") {
  ClusterNodes c(3, kFast);
  three_round_game(c.ports(), [&](const std::string& s) { return c.sum(s); });
  // Every player message of the players on the two other nodes crossed the bus.
  CHECK(c.sum("roomctl_cluster_forwarded_inputs_total") > 0);
  CHECK(c.sum("roomctl_cluster_forwarded_inputs_total") ==
        c.sum("roomctl_cluster_remote_inputs_total"));
}

// Player i and then the late joiner connect to ports[i % size].
static void drawing_relayed(const std::vector<std::uint16_t>& ports,
                            const std::function<double(const std::string&)>& metric) {
  auto ps = make_room(ports, "sk2", 2);
  ps[0]->skribble("START_SKRIBBLE_GAME", {{"roomId", "sk2"}});
  REQUIRE(ps[1]->next("SECOND_TIMER"));  // DRAWING started
  // A non-drawer's drawing is refused.
  ps[1]->skribble("SKRIBBLE_DRAW", {{"roomId", "sk2"}, {"x", 1}});
  auto err = ps[1]->next("error");
  REQUIRE(err);
  CHECK(str(*err, "code") == "not_drawer");

  std::vector<std::string> sent;
  for (int i = 0; i < 3; ++i) {
    std::string raw =
        R"({"EventFrom":"SkribbleGame","type":"SKRIBBLE_DRAW","roomId":"sk2","userId":"sk2-p0","x": )" +
        std::to_string(i) + R"(,"y":2.50,"color":"#ff0000"})";
    sent.push_back(raw);
    ps[0]->ws->send(raw);
  }
  // The other player receives exactly the drawer's bytes.
  std::vector<std::string> got;
  while (got.size() < 3) {
    auto m = ps[1]->ws->recv(5s);
    REQUIRE(m);
    if (m->find("SKRIBBLE_DRAW") != std::string::npos) got.push_back(*m);
  }
  CHECK(got == sent);

  auto late = std::make_unique<roomctl::test::WsClient>();
  late->connect("127.0.0.1", ports[2 % ports.size()]);
  late->send(
      R"({"EventFrom":"SkribbleGame","type":"JOIN_SKRIBBLE_ROOM","roomId":"sk2","userId":"late","name":"L"})");
  auto snap = late->recv_until(of_type("ROOM_STATE"));
  REQUIRE(snap);
  std::string expected_log = "\"strokes\":[" + sent[0] + "," + sent[1] + "," + sent[2] + "]";
  CHECK(snap->find(expected_log) != std::string::npos);
  CHECK(metric(R"(roomctl_refusals_total{limit="not_drawer"})") == 1);
}

TEST_CASE("skribble: drawing is drawer-only, relayed byte for byte, replayed to a late joiner",
          "[skribble]") {
  ServerProcess server(kFast);
  drawing_relayed({server.port()}, [&](const std::string& s) { return server.metric(s); });
}

TEST_CASE("cluster: strokes cross nodes byte for byte and reach a late joiner on a third node",
          "[skribble][cluster]") {
  ClusterNodes c(3, kFast);
  drawing_relayed(c.ports(), [&](const std::string& s) { return c.sum(s); });
}

TEST_CASE("skribble: the drawer leaving mid-turn ends the turn and the next player draws",
          "[skribble]") {
  ServerProcess server(kFast);
  auto ps = make_room(server.port(), "sk3", 3);
  ps[0]->skribble("START_SKRIBBLE_GAME", {{"roomId", "sk3"}});
  REQUIRE(ps[1]->next("SECOND_TIMER"));
  ps[0]->skribble("LEAVE_SKRIBBLE_ROOM", {{"roomId", "sk3"}});
  auto left = ps[1]->next("PLAYER_LEFT");
  REQUIRE(left);
  CHECK(str(*left, "userId") == "sk3-p0");
  auto end = ps[1]->next("ROUND_END");
  REQUIRE(end);
  CHECK(str(*end, "reason") == "drawer_left");
  auto role = ps[1]->next("PLAYER_ROLE");  // host migration to the earliest joiner
  REQUIRE(role);
  CHECK(role->at("host") == true);
  auto next = ps[2]->next("ROUND_NUMBER");
  REQUIRE(next);
  next = ps[2]->next("ROUND_NUMBER");
  REQUIRE(next);
  CHECK(str(*next, "currentUser") == "sk3-p1");
}

TEST_CASE("skribble: quick join offers open rooms, unknown rooms are refused", "[skribble]") {
  ServerProcess server(kFast);
  Player a(server.port(), "a");
  a.skribble("QUICK_JOIN_SKRIBBLE_ROOM");
  CHECK(a.next("quick_join_response")->at("status") == false);
  a.skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", "open"}, {"PlayerName", "A"}});
  REQUIRE(a.next("create_room_response"));
  Player b(server.port(), "b");
  b.skribble("QUICK_JOIN_SKRIBBLE_ROOM");
  auto r = b.next("quick_join_response");
  REQUIRE(r);
  CHECK(r->at("status") == true);
  CHECK(str(*r, "roomId") == "open");
  b.skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", "missing"}, {"name", "B"}});
  auto nf = b.next("join_room_response");
  REQUIRE(nf);
  CHECK(nf->at("status") == false);
  CHECK(str(*nf, "message") == "Room not found");
}

TEST_CASE("skribble: a one-round game (rounds: 1, as the original server accepts) plays to the end",
          "[skribble]") {
  ServerProcess server(kFast);
  auto ps = make_room(server.port(), "sk1r", 2);
  ps[0]->skribble("SKRIBBLE_GAME_SETTINGS",
                  {{"roomId", "sk1r"}, {"settings", {{"rounds", 1}, {"drawtime", 15}}}});
  REQUIRE(ps[1]->next("SKRIBBLE_GAME_SETTINGS"));  // accepted and relayed, not refused
  CHECK_FALSE(ps[0]->next("error", 200ms));
  ps[0]->skribble("START_SKRIBBLE_GAME", {{"roomId", "sk1r"}});
  std::vector<std::string> drawers;
  for (int turn = 0; turn < 2; ++turn) {
    auto rn = ps[0]->next("ROUND_NUMBER");
    REQUIRE(rn);
    CHECK(rn->at("currentRoundNo").as_int64() == 1);
    drawers.push_back(str(*rn, "currentUser"));
    auto word = by_id(ps, drawers.back()).next("WORD");
    REQUIRE(word);
    auto& guesser = *ps[drawers.back() == "sk1r-p0" ? 1 : 0];
    wait_tick(guesser, 1);
    guesser.skribble("SKRIBBLE_MESSAGE",
                     {{"roomId", "sk1r"}, {"message", str(*word, "word")}, {"name", "G"}});
    REQUIRE(ps[0]->next("ROUND_END"));
  }
  CHECK(drawers == std::vector<std::string>{"sk1r-p0", "sk1r-p1"});
  auto over = ps[1]->next("GAME_OVER", 10s);
  REQUIRE(over);
  CHECK(over->at("ScoreCard").as_array().size() == 2);
  CHECK(server.metric(R"(roomctl_games_finished_total{game="skribble",outcome="completed"})") == 1);
}

// Three players on the nodes of a cluster, p0 (the creator, so the room's node is p0's, and the
// first drawer) on the first: a 1-round game is started and p1 guesses the word; returns it.
static std::string first_guess_made(std::vector<std::unique_ptr<Player>>& ps,
                                    const std::string& room) {
  ps[0]->skribble("SKRIBBLE_GAME_SETTINGS",
                  {{"roomId", room}, {"settings", {{"rounds", 1}, {"drawtime", 60}}}});
  REQUIRE(ps[1]->next("SKRIBBLE_GAME_SETTINGS"));
  ps[0]->skribble("START_SKRIBBLE_GAME", {{"roomId", room}});
  auto word = ps[0]->next("WORD", 15s);
  REQUIRE(word);
  std::string w = str(*word, "word");
  REQUIRE(wait_tick(*ps[1], 1) >= 1);
  ps[1]->skribble("SKRIBBLE_MESSAGE", {{"roomId", room}, {"message", w}});
  REQUIRE(ps[2]->next("WORD_MATCHED"));
  return w;
}

TEST_CASE(
    "cluster failover: kill -9 of a skribble game's owner mid-turn, drawer, word and scores "
    "survive on another node",
    "[skribble][cluster][failover]") {
  ClusterNodes c(3, {"games.time_scale=0.5", "server.reconnect_grace=20s"});
  auto ps = make_room(c.ports(), "fo2", 3);
  std::string w = first_guess_made(ps, "fo2");
  std::this_thread::sleep_for(300ms);  // the snapshot with the guess is written
  for (auto& p : ps) p->skip_all("ROOM_STATE");

  auto killed = std::chrono::steady_clock::now();
  c[0].signal(SIGKILL);
  ps[0] = std::make_unique<Player>(c[1].port(), "fo2-p0");  // the drawer reconnects elsewhere
  ps[0]->send({{"EventFrom", "App"}, {"type", "app_opened"}});
  auto reconnected = std::chrono::steady_clock::now();
  std::vector<boost::json::object> states;
  for (auto& p : ps) {
    auto st = p->next("ROOM_STATE", 15s);
    REQUIRE(st);
    states.push_back(*st);
  }
  auto resumed = std::chrono::steady_clock::now();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::printf("skribble failover: kill -> resumed %lld ms, reconnect -> resumed %lld ms\n",
              static_cast<long long>(ms(resumed - killed)),
              static_cast<long long>(ms(resumed - reconnected)));
  for (auto& st : states) {
    CHECK(str(st, "drawer") == "fo2-p0");
    CHECK(str(st, "phase") == "drawing");
    for (const auto& pl : st.at("players").as_array())
      if (str(pl.as_object(), "userId") == "fo2-p1") {
        CHECK(pl.at("guessed") == true);
        CHECK(pl.at("score").as_int64() > 0);
      }
  }
  CHECK(str(states[0], "word") == w);  // the drawer sees its word again
  // The turn goes on: the last guesser's guess ends it, with the first guess's points intact.
  ps[2]->skribble("SKRIBBLE_MESSAGE", {{"roomId", "fo2"}, {"message", w}});
  auto end = ps[1]->next("ROUND_END", 15s);
  REQUIRE(end);
  CHECK(str(*end, "word") == w);
  CHECK(end->at("roundScore").at("fo2-p1").as_int64() == 200);
  CHECK(end->at("roundScore").at("fo2-p2").as_int64() > 0);
}

TEST_CASE(
    "cluster rolling restart: SIGTERM of a skribble game's owner hands the room over and "
    "the turn goes on",
    "[skribble][cluster][handover]") {
  ClusterNodes c(3, {"games.time_scale=0.5", "server.reconnect_grace=20s"});
  auto ps = make_room(c.ports(), "ho1", 3);
  std::string w = first_guess_made(ps, "ho1");
  for (auto& p : ps) p->skip_all("ROOM_STATE");

  // Enough idle players on the stopping node that closing them takes the whole drain spread,
  // during which its lease keeps being refreshed (a refresh once crashed a stopping node).
  std::vector<std::unique_ptr<WsClient>> idle;
  for (int i = 0; i < 60; ++i) idle.push_back(connect_client(c[0].port()));
  auto term = std::chrono::steady_clock::now();
  c[0].signal(SIGTERM);
  // The members elsewhere never lose their connection: the new owner sends them its state.
  auto st1 = ps[1]->next("ROOM_STATE", 10s);
  REQUIRE(st1);
  auto paused = std::chrono::steady_clock::now() - term;
  std::printf("skribble hand-over: SIGTERM -> state from the new owner %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(paused).count()));
  CHECK(str(*st1, "drawer") == "ho1-p0");
  // The node's own player is told to reconnect (1012), and does so through another node.
  auto code = ps[0]->ws->wait_closed(10s);
  REQUIRE(code);
  CHECK(*code == 1012);
  ps[0] = std::make_unique<Player>(c[2].port(), "ho1-p0");
  ps[0]->send({{"EventFrom", "App"}, {"type", "app_opened"}});
  auto st0 = ps[0]->next("ROOM_STATE", 10s);
  REQUIRE(st0);
  CHECK(str(*st0, "word") == w);
  CHECK(c[0].wait() == 0);
  CHECK(c[0].log().find("rooms_handed_over rooms=1 moved=1") != std::string::npos);
  for (auto& ws : idle) CHECK(ws->wait_closed(1s) == std::optional<std::uint16_t>(1012));
  // A hand-over, not a failover: nobody had to take the room over.
  CHECK(c[1].metric("roomctl_cluster_rooms_taken_over_total") +
            c[2].metric("roomctl_cluster_rooms_taken_over_total") ==
        0);
  ps[2]->skribble("SKRIBBLE_MESSAGE", {{"roomId", "ho1"}, {"message", w}});
  auto end = ps[1]->next("ROUND_END", 15s);
  REQUIRE(end);
  CHECK(end->at("roundScore").at("ho1-p1").as_int64() == 200);
  CHECK(end->at("roundScore").at("ho1-p2").as_int64() > 0);
}
