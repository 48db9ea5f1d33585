// The public spy app's flows replayed message by message, as the app sends them, in both
// dialects (the app's own, without EventFrom, and the same flows with EventFrom), with a model
// of the app's handlers checking every frame each connection receives (spy_app_model.hpp).
#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/server_process.hpp"
#include "tests/integration/spy_app_model.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
using roomctl::protocol::Dialect;
namespace json = boost::json;

namespace {
const std::vector<std::string> kFast = {"games.time_scale=0.05", "server.reconnect_grace=2s",
                                        "rooms.sweep_interval=50ms"};

using Sessions = std::vector<std::unique_ptr<AppSession>>;

std::string dialect_name(Dialect d) {
  return d == Dialect::legacy_app ? "legacy app" : "EventFrom";
}

// Players of one room (the first creates it); `dialects` cycles over the players.
Sessions seat(std::uint16_t port, const std::string& room, std::vector<Dialect> dialects, int n) {
  Sessions s;
  for (int i = 0; i < n; ++i) {
    s.push_back(std::make_unique<AppSession>(port, dialects[i % dialects.size()],
                                             room + "-u" + std::to_string(i)));
    if (i > 0) s[i]->model.asks = s[0]->model.asks;
  }
  s[0]->create(room);
  for (int i = 1; i < n; ++i) REQUIRE(s[i]->join(room));
  return s;
}

void require_app_works(Sessions& s) {
  for (auto& p : s) {
    p->sync();
    INFO(p->user);
    for (const auto& e : p->model.errors) INFO(e);
    CHECK(p->model.errors.empty());
  }
}

// Everyone taps Ready; the game runs its speaking turns (the app never skips one) and everyone
// votes: the civilians for the spy (`catch_spy`) or everyone against one civilian. Returns the
// spy. Ends with every player having read game_ended, and the app's notready that follows it.
std::string play_game(Sessions& s, const std::string& room, bool catch_spy) {
  for (auto& p : s) p->tap_ready(room);
  std::string spy;
  std::vector<std::string> civilians;
  for (auto& p : s) {
    REQUIRE(p->next("gameStarted"));
    REQUIRE(p->next("round_started"));
    REQUIRE_FALSE(p->model.word.empty());
    if (p->model.is_spy)
      spy = p->user;
    else
      civilians.push_back(p->user);
  }
  REQUIRE_FALSE(spy.empty());
  for (auto& p : s) REQUIRE(p->next("start_voting", 20s));
  for (auto& p : s) {
    std::string target = catch_spy ? spy : civilians[0];
    if (p->user == target) target = civilians[catch_spy ? 0 : 1];
    p->vote(room, target);
  }
  for (auto& p : s) {
    auto ev = p->next("end_voting");
    REQUIRE(ev);
    if (catch_spy) CHECK(p->model.voting_results[spy].size() == civilians.size());
    auto end = p->next("game_ended", 20s);
    REQUIRE(end);
    CHECK(p->model.winner == (catch_spy ? "civilians" : "spy"));
    CHECK(p->model.spy == spy);
    CHECK(p->model.before("end_voting", "game_ended"));
    p->send("notready", {{"roomId", room}});  // the app's ready flag falls back to false
  }
  return spy;
}

std::vector<std::string> users(Sessions& s) {
  std::vector<std::string> out;
  for (auto& p : s) out.push_back(p->user);
  return out;
}
}  // namespace

TEST_CASE("spy app: create, join, ready and notready, chat, and a full game each way",
          "[spy][app]") {
  auto dialect = GENERATE(Dialect::legacy_app, Dialect::event_from);
  INFO(dialect_name(dialect));
  ServerProcess server(kFast);
  auto s = seat(server.port(), "app1", {dialect}, 3);
  // An EventFrom member gets the list only when it asks (ORIG), maybe before the last join.
  for (auto& p : s)
    if (!p->legacy()) p->send("GET_JOIN_EVENTS", {{"roomId", "app1"}});
  for (auto& p : s) {
    CHECK(eventually([&] {  // the last join's list may still be on its way
      p->sync(50ms);
      return p->model.in_room && p->model.player_list == users(s);
    }));
  }
  s[0]->chat("app1", "hello");
  for (auto& p : s) {
    REQUIRE(p->next("chat"));
    CHECK(p->model.chats.back() == "app1-u0: hello");  // the sender's own echo too
  }
  // Ready, then ready again (the app then sends ready and notready): nobody starts the game.
  s[1]->tap_ready("app1");
  s[1]->send("ready", {{"roomId", "app1"}});
  s[1]->send("notready", {{"roomId", "app1"}});
  for (auto& p : s) {
    p->sync(200ms);
    CHECK(p->model.ready["app1-u1"] == false);
    CHECK_FALSE(p->model.game_started);
  }
  play_game(s, "app1", true);
  play_game(s, "app1", false);
  require_app_works(s);
}

TEST_CASE("spy app: leaving in the lobby and in a game", "[spy][app]") {
  auto dialect = GENERATE(Dialect::legacy_app, Dialect::event_from);
  INFO(dialect_name(dialect));
  ServerProcess server(kFast);
  auto s = seat(server.port(), "lv", {dialect}, 4);
  s[3]->leave("lv");
  s.pop_back();
  for (auto& p : s) {
    p->next("room_state");
    CHECK(eventually([&] {
      p->sync(20ms);
      return !p->model.ready.count("lv-u3");
    }));
    if (p->legacy()) CHECK(p->model.player_list == users(s));
  }
  for (auto& p : s) p->tap_ready("lv");
  std::string spy;
  for (auto& p : s) {
    REQUIRE(p->next("round_started"));
    if (p->model.is_spy) spy = p->user;
  }
  AppSession* leaver = nullptr;
  for (auto& p : s)
    if (p->user != spy) leaver = p.get();
  leaver->leave("lv");
  for (auto& p : s) {
    if (p.get() == leaver) continue;
    REQUIRE(p->next("player_left"));
    auto end = p->next("game_ended");  // one civilian left beside the spy
    REQUIRE(end);
    CHECK(p->model.winner == "spy");
    CHECK(std::find(p->model.player_list.begin(), p->model.player_list.end(), leaver->user) ==
          p->model.player_list.end());
  }
  require_app_works(s);
}

TEST_CASE("spy app: an unknown room and a full room are refused", "[spy][app]") {
  auto dialect = GENERATE(Dialect::legacy_app, Dialect::event_from);
  INFO(dialect_name(dialect));
  ServerProcess server(kFast);
  AppSession lost(server.port(), dialect, "lost");
  CHECK_FALSE(lost.join("nowhere"));
  if (lost.legacy()) CHECK(lost.model.alerts == std::vector<std::string>{"room_not_found"});
  auto s = seat(server.port(), "full", {dialect}, 6);
  AppSession seventh(server.port(), dialect, "seventh");
  CHECK_FALSE(seventh.join("full"));
  if (seventh.legacy()) CHECK(seventh.model.alerts == std::vector<std::string>{"room_full"});
  // Leaving a room that is gone raises no "room does not exist" alert on the home screen.
  lost.leave("nowhere");
  lost.sync(200ms);
  CHECK(lost.model.alerts.size() == (lost.legacy() ? 1u : 0u));
  CHECK(lost.model.errors.empty());
  CHECK(seventh.model.errors.empty());
  require_app_works(s);
}

TEST_CASE("spy app: quick join as the first frame, without a userId", "[spy][app]") {
  auto dialect = GENERATE(Dialect::legacy_app, Dialect::event_from);
  INFO(dialect_name(dialect));
  ServerProcess server(kFast);
  AppSession seeker(server.port(), dialect, "seeker");
  seeker.send("QUICK_JOIN");
  auto none = seeker.next("quick_join_response");
  REQUIRE(none);
  CHECK(none->at("status") == false);
  auto s = seat(server.port(), "qj", {dialect}, 1);
  AppSession fresh(server.port(), dialect, "fresh");
  fresh.send("QUICK_JOIN");  // the first frame on this socket
  auto r = fresh.next("quick_join_response");
  REQUIRE(r);
  CHECK(r->at("status") == true);
  CHECK(str(*r, "roomId") == "qj");
  CHECK(str(*r, "gameMode") == "word_spy");
  fresh.model.asks = s[0]->model.asks;
  CHECK(fresh.join(fresh.model.quick_join_room));
  CHECK(eventually([&] {
    fresh.sync(50ms);
    return fresh.model.in_room;
  }));
  CHECK_FALSE(fresh.inbox.received("error"));
  require_app_works(s);
}

TEST_CASE("spy app: a new userId on the same socket for every room", "[spy][app][identity]") {
  auto dialect = GENERATE(Dialect::legacy_app, Dialect::event_from);
  INFO(dialect_name(dialect));
  ServerProcess server(kFast);
  auto s = seat(server.port(), "r1", {dialect}, 3);
  play_game(s, "r1", true);
  // The creator leaves and gets a new userId for the next room, on the same socket.
  auto& app = *s[0];
  app.leave("r1");
  app.user = "r2-host";
  app.model = SpyAppModel(dialect, app.user);
  app.create("r2");
  auto others = seat(server.port(), "r2x", {dialect}, 1);  // a second room to join later
  CHECK(eventually([&] {
    app.sync(50ms);
    return app.model.in_room;
  }));
  CHECK_FALSE(app.inbox.received("error"));
  // Switching again while still seated in r2: the old id is released as a disconnect, and
  // leaves r2 once its grace is over.
  AppSession mate(server.port(), dialect, "r2-mate");
  mate.model.asks = app.model.asks;
  REQUIRE(mate.join("r2"));
  app.user = "r3-guest";
  app.model = SpyAppModel(dialect, app.user);
  app.model.asks = others[0]->model.asks;
  REQUIRE(app.join("r2x"));
  CHECK(eventually(
      [&] {
        mate.sync(50ms);
        return mate.model.ready.count("r2-host") == 0;
      },
      5s));
  if (mate.legacy()) CHECK(mate.model.player_list == std::vector<std::string>{"r2-mate"});
  // An id live on another socket is taken over as a new socket would (that socket gets 4001).
  app.user = "r2-mate";
  app.send("notready", {{"roomId", "r2"}});
  CHECK(mate.inbox.ws->wait_closed() == std::optional<std::uint16_t>(4001));
  require_app_works(s);
}

TEST_CASE("spy app: a silent member stays, a reconnect that sends nothing needs no re-join",
          "[spy][app]") {
  auto dialect = GENERATE(Dialect::legacy_app, Dialect::event_from);
  INFO(dialect_name(dialect));
  // Dead peers are found by WebSocket pings within a second here; the app answers those (its
  // platform does) but sends no keepalive of its own.
  auto settings = kFast;
  settings.push_back("server.idle_timeout=1s");
  settings.push_back("server.reconnect_grace=4s");
  ServerProcess server(settings);
  auto s = seat(server.port(), "quiet", {dialect}, 3);
  std::this_thread::sleep_for(5s);  // five idle timeouts without a frame from anyone
  s[0]->chat("quiet", "still there?");
  for (auto& p : s) REQUIRE(p->next("chat"));
  CHECK(s[2]->inbox.ws->is_open());

  // The third app loses its socket, reconnects and sends nothing until its user acts.
  std::string user = s[2]->user;
  s[2]->inbox.ws->close(4000);  // not 1000: the app reconnects
  s[2] = std::make_unique<AppSession>(server.port(), dialect, user);
  s[2]->model.asks = s[0]->model.asks;
  std::this_thread::sleep_for(1s);
  s[2]->tap_ready("quiet");  // the first frame after reconnecting, within the grace
  for (auto& p : s) {
    p->sync(200ms);
    CHECK_FALSE(p->inbox.received("player_left"));
  }
  REQUIRE(s[2]->next("room_state"));  // the seat came back with the room's state
  if (s[2]->legacy()) {
    REQUIRE(s[2]->next("playerList"));
    CHECK(s[2]->model.player_list == users(s));
  }
  s[0]->tap_ready("quiet");
  s[1]->tap_ready("quiet");
  for (auto& p : s) REQUIRE(p->next("gameStarted"));
  require_app_works(s);
}

TEST_CASE("spy app: a mixed room, one member per dialect, plays a full game",
          "[spy][app][dialects]") {
  ServerProcess server(kFast);
  auto s = seat(server.port(), "mix", {Dialect::legacy_app, Dialect::event_from}, 3);
  // An EventFrom member gets the list only when it asks (ORIG); it asked when it joined, maybe
  // before the last member did: it asks again now, as the app does when its room screen mounts.
  for (auto& p : s)
    if (!p->legacy()) p->send("GET_JOIN_EVENTS", {{"roomId", "mix"}});
  for (auto& p : s) {
    // The last join's list may still be on its way (a slow, sanitised server): wait for it.
    CHECK(eventually([&] {
      p->sync(50ms);
      return p->model.player_list == users(s);
    }));
  }
  s[1]->chat("mix", "both dialects");
  for (auto& p : s) REQUIRE(p->next("chat"));
  play_game(s, "mix", true);
  play_game(s, "mix", false);
  require_app_works(s);
}
