// Spy rooms end to end: whole games in both modes with each winner, quick join, full and unknown
// rooms, leaving mid-game, the spy reconnecting within the grace, and room cleanup in /metrics.
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <thread>

#include "tests/integration/cluster_nodes.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
const std::vector<std::string> kFast = {"games.time_scale=0.05", "server.reconnect_grace=2s",
                                        "rooms.sweep_interval=50ms"};

struct Table {
  std::vector<std::unique_ptr<Player>> players;
  std::string spy;
  std::string civilian_word;
  Player& operator[](std::size_t i) { return *players[i]; }
  Player& by_id(const std::string& id) {
    for (auto& p : players)
      if (p->user == id) return *p;
    throw std::runtime_error("no player " + id);
  }
};

// n players in room `room` (mode), all ready; returns once every player knows its role.
// Player i connects to ports[i % ports.size()] (several ports: the nodes of a cluster).
Table play_until_roles(const std::vector<std::uint16_t>& ports, const std::string& room,
                       const std::string& mode, int n) {
  Table t;
  for (int i = 0; i < n; ++i)
    t.players.push_back(
        std::make_unique<Player>(ports[i % ports.size()], room + "-u" + std::to_string(i)));
  t[0].spy("CREATE_ROOM", {{"roomId", room}, {"name", "U0"}, {"gameMode", mode}});
  REQUIRE(t[0].next("create_room_response"));
  for (int i = 1; i < n; ++i) {
    t[i].spy("join_room", {{"roomId", room}, {"name", "U" + std::to_string(i)}});
    auto r = t[i].next("join_room_response");
    REQUIRE(r);
    REQUIRE(r->at("status") == true);
  }
  for (int i = 0; i < n; ++i) t[i].spy("ready", {{"roomId", room}});
  int spies = 0;
  for (auto& p : t.players) {
    REQUIRE(p->next("gameStarted"));
    REQUIRE(p->next("round_started"));
    if (p->received("spy")) {
      ++spies;
      t.spy = p->user;
      auto s = p->next("spy");
      CHECK(str(*s, "player") == p->user);
      if (mode == "wordless_spy") CHECK(str(*s, "word") == "Wordless");
    } else {
      auto c = p->next("civilianWord");
      REQUIRE(c);
      CHECK_FALSE(c->contains("player"));  // no spy id leak
      if (t.civilian_word.empty()) t.civilian_word = str(*c, "word");
      CHECK(str(*c, "word") == t.civilian_word);
    }
  }
  CHECK(spies == 1);
  return t;
}

Table play_until_roles(std::uint16_t port, const std::string& room, const std::string& mode,
                       int n) {
  return play_until_roles(std::vector<std::uint16_t>{port}, room, mode, n);
}

// Everyone alive skips their turn as it comes; returns when voting starts for `alive`.
void speak_round(Table& t, const std::string& room, const std::vector<std::string>& alive) {
  for (std::size_t i = 0; i < alive.size(); ++i) {
    auto s = t.by_id(alive[0]).next("speak_statement");
    REQUIRE(s);
    t.by_id(str(*s, "currentSpeaker")).spy("skip_speaking_statement", {{"roomId", room}});
  }
  for (const auto& id : alive) REQUIRE(t.by_id(id).next("start_voting"));
}

void vote_all(Table& t, const std::string& room, const std::vector<std::string>& alive,
              const std::string& target, const std::string& targets_choice) {
  for (const auto& id : alive)
    t.by_id(id).spy("vote",
                    {{"roomId", room}, {"votedPlayer", id == target ? targets_choice : target}});
}

std::vector<std::string> civilians(Table& t, const std::vector<std::string>& alive) {
  std::vector<std::string> out;
  for (const auto& id : alive)
    if (id != t.spy) out.push_back(id);
  return out;
}

std::vector<std::string> ids(Table& t) {
  std::vector<std::string> out;
  for (auto& p : t.players) out.push_back(p->user);
  return out;
}
}  // namespace

static void civilians_catch_the_spy(const std::vector<std::uint16_t>& ports,
                                    const std::function<double(const std::string&)>& metric) {
  auto t = play_until_roles(ports, "ws1", "word_spy", 4);
  auto alive = ids(t);
  speak_round(t, "ws1", alive);
  vote_all(t, "ws1", alive, t.spy, civilians(t, alive)[0]);
  for (auto& p : t.players) {
    auto ev = p->next("end_voting");
    REQUIRE(ev);
    CHECK(str(ev->at("maxVotes").as_object(), "player") == t.spy);
    auto end = p->next("game_ended");
    REQUIRE(end);
    CHECK(str(*end, "winner") == "civilians");
    CHECK(str(*end, "spy") == t.spy);
  }
  CHECK(metric(R"(roomctl_games_finished_total{game="spy",outcome="civilians"})") == 1);
}

TEST_CASE("spy end to end: a word_spy game where the civilians catch the spy", "[spy][e2e]") {
  ServerProcess server(kFast);
  civilians_catch_the_spy({server.port()}, [&](const std::string& s) { return server.metric(s); });
}

TEST_CASE("cluster: a word_spy game with its players on three nodes ends as on one node",
          "[spy][e2e][cluster]") {
  ClusterNodes c(3, kFast);
  civilians_catch_the_spy(c.ports(), [&](const std::string& s) { return c.sum(s); });
  CHECK(c.sum("roomctl_cluster_forwarded_inputs_total") > 0);
}

TEST_CASE("spy end to end: a wordless_spy game the spy wins at parity", "[spy][e2e]") {
  ServerProcess server(kFast);
  auto t = play_until_roles(server.port(), "wl1", "wordless_spy", 4);
  auto alive = ids(t);
  for (int round = 0; round < 2; ++round) {
    speak_round(t, "wl1", alive);
    auto civ = civilians(t, alive);
    vote_all(t, "wl1", alive, civ[0], civ[1]);
    auto a = t.by_id(t.spy).next("alivePlayers");
    REQUIRE(a);
    alive.clear();
    for (const auto& v : a->at("alivePlayers").as_array()) alive.emplace_back(v.as_string());
  }
  for (auto& p : t.players) {
    auto end = p->next("game_ended");
    REQUIRE(end);
    CHECK(str(*end, "winner") == "spy");
  }
  CHECK(server.metric(R"(roomctl_games_finished_total{game="spy",outcome="spy"})") == 1);
}

TEST_CASE("spy: quick join finds an open room of the mode, full and unknown rooms are refused",
          "[spy]") {
  ServerProcess server(kFast);
  Player host(server.port(), "host");
  host.spy("QUICK_JOIN_WORD_SPY");
  auto none = host.next("quick_join_response");
  REQUIRE(none);
  CHECK(none->at("status") == false);
  CHECK(str(*none, "message") == "No rooms available");

  host.spy("CREATE_ROOM", {{"roomId", "qj"}, {"name", "H"}, {"gameMode", "wordless_spy"}});
  REQUIRE(host.next("create_room_response"));
  Player seeker(server.port(), "seeker");
  seeker.spy("QUICK_JOIN_WORD_SPY");
  CHECK(seeker.next("quick_join_response")->at("status") == false);  // other mode
  seeker.spy("QUICK_JOIN_WORDLESS_SPY");
  auto found = seeker.next("quick_join_response");
  REQUIRE(found);
  CHECK(found->at("status") == true);
  CHECK(str(*found, "roomId") == "qj");
  CHECK(str(*found, "gameMode") == "wordless_spy");

  // Duplicate ids are refused (FIX).
  seeker.spy("CREATE_ROOM", {{"roomId", "qj"}, {"name", "S"}});
  auto dup = seeker.next("create_room_response");
  REQUIRE(dup);
  CHECK(dup->at("status") == false);

  // Fill the room to 6 and the 7th is refused.
  std::vector<std::unique_ptr<Player>> others;
  for (int i = 0; i < 5; ++i) {
    others.push_back(std::make_unique<Player>(server.port(), "f" + std::to_string(i)));
    others.back()->spy("join_room", {{"roomId", "qj"}, {"name", "F"}});
    REQUIRE(others.back()->next("join_room_response")->at("status") == true);
  }
  seeker.spy("join_room", {{"roomId", "qj"}, {"name", "S"}});
  auto full = seeker.next("join_room_response");
  REQUIRE(full);
  CHECK(full->at("status") == false);
  CHECK(str(*full, "message") == "Room is full");
  seeker.spy("QUICK_JOIN_WORDLESS_SPY");
  CHECK(seeker.next("quick_join_response")->at("status") == false);  // full rooms are not offered

  seeker.spy("join_room", {{"roomId", "nope"}, {"name", "S"}});
  auto missing = seeker.next("join_room_response");
  REQUIRE(missing);
  CHECK(str(*missing, "message") == "Room not found");
  CHECK(seeker.next("spy_room_not_found"));
  seeker.spy("ready", {{"roomId", "nope"}});
  CHECK(seeker.next("spy_room_not_found"));
}

TEST_CASE("spy: a create without roomId gets a generated unguessable id", "[spy]") {
  ServerProcess server(kFast);
  Player host(server.port(), "host");
  host.spy("CREATE_ROOM", {{"name", "H"}});
  auto r = host.next("create_room_response");
  REQUIRE(r);
  CHECK(r->at("status") == true);
  CHECK(str(*r, "roomId").size() == 12);
}

TEST_CASE("spy: a civilian leaving mid-game ends a 3-player game for the spy at once", "[spy]") {
  ServerProcess server(kFast);
  auto t = play_until_roles(server.port(), "lv", "word_spy", 3);
  auto civ = civilians(t, ids(t));
  t.by_id(civ[0]).spy("leave_room", {{"roomId", "lv"}});
  auto left = t.by_id(t.spy).next("player_left");
  REQUIRE(left);
  CHECK(str(*left, "playerLeft") == civ[0]);
  auto end = t.by_id(civ[1]).next("game_ended");
  REQUIRE(end);
  CHECK(str(*end, "winner") == "spy");
}

TEST_CASE("spy: the spy disconnecting and reconnecting within grace keeps the game", "[spy]") {
  ServerProcess server(kFast);
  auto t = play_until_roles(server.port(), "rc", "word_spy", 4);
  auto& spy = t.by_id(t.spy);
  std::string word = str(*std::find_if(spy.all.begin(), spy.all.end(),
                                       [](auto& o) { return str(o, "type") == "spy"; }),
                         "word");
  spy.ws->close();
  std::this_thread::sleep_for(300ms);
  Player back(server.port(), t.spy);
  back.send({{"EventFrom", "App"}, {"type", "app_opened"}});
  auto again = back.next("spy");
  REQUIRE(again);
  CHECK(str(*again, "word") == word);
  auto st = back.next("room_state");
  REQUIRE(st);
  CHECK(st->at("roomState").at("gameStarted") == true);
  // Nobody won because the spy left.
  for (auto& p : t.players)
    if (p->user != t.spy) CHECK_FALSE(p->received("game_ended"));
}

TEST_CASE("spy: the spy not coming back within grace makes the civilians win", "[spy]") {
  ServerProcess server(
      {"games.time_scale=0.5", "server.reconnect_grace=300ms", "rooms.sweep_interval=50ms"});
  auto t = play_until_roles(server.port(), "gr", "word_spy", 3);
  t.by_id(t.spy).ws->close();
  auto civ = civilians(t, ids(t));
  auto end = t.by_id(civ[0]).next("game_ended", 5s);
  REQUIRE(end);
  CHECK(str(*end, "winner") == "civilians");
  CHECK(str(*end, "reason") == "spy_left");
}

TEST_CASE("spy: empty rooms and idle rooms are removed and counted by reason", "[spy][cleanup]") {
  ServerProcess server(
      {"rooms.idle_timeout=1s", "rooms.sweep_interval=50ms", "server.reconnect_grace=200ms"});
  {
    Player a(server.port(), "a");
    a.spy("CREATE_ROOM", {{"roomId", "empty1"}, {"name", "A"}});
    REQUIRE(a.next("create_room_response"));
    a.spy("leave_room", {{"roomId", "empty1"}});
    Player b(server.port(), "b");
    b.spy("CREATE_ROOM", {{"roomId", "gone1"}, {"name", "B"}});
    REQUIRE(b.next("create_room_response"));
  }  // b disconnects: after the grace the room empties
  Player c(server.port(), "c");
  c.spy("CREATE_ROOM", {{"roomId", "idle1"}, {"name", "C"}});
  REQUIRE(c.next("create_room_response"));
  auto closed = c.next("room_closed", 5s);
  REQUIRE(closed);
  CHECK(str(*closed, "reason") == "idle");
  CHECK(server.metric(R"(roomctl_rooms_removed_total{reason="empty"})") == 2);
  CHECK(server.metric(R"(roomctl_rooms_removed_total{reason="idle"})") == 1);
  std::this_thread::sleep_for(200ms);
  CHECK(server.metric(R"(roomctl_rooms{game="spy",phase="lobby"})") == 0);
}

TEST_CASE("limits: max_rooms refuses creation with a clear reply and a metric", "[spy][limits]") {
  ServerProcess server({"limits.max_rooms=1"});
  Player a(server.port(), "a");
  a.spy("CREATE_ROOM", {{"roomId", "one"}, {"name", "A"}});
  REQUIRE(a.next("create_room_response")->at("status") == true);
  a.spy("CREATE_ROOM", {{"roomId", "two"}, {"name", "A"}});
  auto r = a.next("create_room_response");
  REQUIRE(r);
  CHECK(r->at("status") == false);
  CHECK(str(*r, "code") == "max_rooms");
  CHECK(server.metric(R"(roomctl_refusals_total{limit="max_rooms"})") == 1);
}

TEST_CASE("presence: creating a room and starting a game change the status", "[spy][presence]") {
  ServerProcess server({"games.time_scale=0.05", "presence.flush_interval=10ms"});
  Player watcher(server.port(), "watcher");
  watcher.send({{"EventFrom", "App"}, {"type", "app_opened"}});
  REQUIRE(watcher.next("users_online"));  // its own list
  Player host(server.port(), "host");
  host.send({{"EventFrom", "App"}, {"type", "app_opened"}});
  REQUIRE(watcher.next("users_online"));  // host arrived (a newcomer's status rides in this frame)
  host.spy("CREATE_ROOM", {{"roomId", "st"}, {"name", "H"}});
  auto change = watcher.next("user_status_change");
  REQUIRE(change);
  CHECK(str(*change, "userId") == "host");
  CHECK(str(*change, "status") == "InRoom");
  host.spy("leave_room", {{"roomId", "st"}});
  auto idle = watcher.next("user_status_change");
  REQUIRE(idle);
  CHECK(str(*idle, "status") == "Idle");
}

TEST_CASE("cluster failover: kill -9 of a spy game's owner, the game resumes on another node",
          "[spy][cluster][failover]") {
  // Real-ish durations: a speaking turn must not time out during the failover.
  ClusterNodes c(3, {"games.time_scale=0.5", "server.reconnect_grace=20s"});
  // Players 0 and 3 sit on node 0, which creates (owns) the room.
  auto t = play_until_roles(c.ports(), "fo1", "word_spy", 4);
  std::this_thread::sleep_for(300ms);  // the snapshot of the running game is written
  for (auto& p : t.players) p->skip_all("game_mode");
  auto killed = std::chrono::steady_clock::now();
  c[0].signal(SIGKILL);
  // Node 0's players reconnect through another node, as a load balancer would send them.
  for (int i : {0, 3}) {
    std::string id = t.players[i]->user;
    t.players[i] = std::make_unique<Player>(c[1].port(), id);
    t.players[i]->send({{"EventFrom", "App"}, {"type", "app_opened"}});
  }
  auto reconnected = std::chrono::steady_clock::now();
  for (auto& p : t.players) REQUIRE(p->next("game_mode", 15s));
  auto resumed = std::chrono::steady_clock::now();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::printf("spy failover: kill -> resumed %lld ms, reconnect -> resumed %lld ms\n",
              static_cast<long long>(ms(resumed - killed)),
              static_cast<long long>(ms(resumed - reconnected)));
  // Roles and words are intact: the same spy, the same civilian word.
  for (auto& p : t.players) {
    if (p->user == t.spy) {
      REQUIRE(p->next("spy", 5s));
    } else {
      auto w = p->next("civilianWord", 5s);
      REQUIRE(w);
      CHECK(str(*w, "word") == t.civilian_word);
    }
  }
  // And the game plays to its end on the new owner.
  auto alive = ids(t);
  speak_round(t, "fo1", alive);
  vote_all(t, "fo1", alive, t.spy, civilians(t, alive)[0]);
  for (auto& p : t.players) {
    auto end = p->next("game_ended", 40s);
    REQUIRE(end);
    CHECK(str(*end, "winner") == "civilians");
  }
  CHECK(c[1].metric("roomctl_cluster_rooms_taken_over_total") +
            c[2].metric("roomctl_cluster_rooms_taken_over_total") ==
        1);
}

TEST_CASE("cluster behind a balancer: a word_spy game played through HAProxy, then nginx",
          "[spy][cluster][lb]") {
  auto balancer = GENERATE(Balancer::haproxy, Balancer::nginx);
  INFO(balancer_name(balancer));
  ClusterOptions options;
  options.balancer = balancer;
  options.settings = kFast;
  Cluster c(options);
  // Every player connects through the balancer, which spreads them over the nodes.
  civilians_catch_the_spy({c.lb_port()}, [&](const std::string& s) { return c.sum(s); });
  CHECK(c.sum("roomctl_cluster_forwarded_inputs_total") > 0);
}
