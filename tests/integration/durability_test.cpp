// Nothing is lost on restart or crash: games resume from SQLite after SIGTERM and after kill -9,
// queued DMs survive a crash, and a Redis outage never stops a game.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/sqlite_file.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
std::string own_word(Player& p) {
  p.pump(std::chrono::milliseconds(0));
  for (auto& o : p.all)
    if (str(o, "type") == "spy" || str(o, "type") == "civilianWord")
      return str(o, "type") + ":" + str(o, "word");
  return "";
}

std::unique_ptr<Player> reconnect(std::uint16_t port, const std::string& user) {
  auto p = std::make_unique<Player>(port, user);
  p->send({{"EventFrom", "App"}, {"type", "app_opened"}});
  return p;
}
}  // namespace

TEST_CASE("restart: a spy game survives SIGTERM with the same words, phase and speaker",
          "[durability]") {
  TempDb db;
  std::vector<std::string> opts{db.url(), "games.time_scale=0.2", "server.reconnect_grace=5s"};
  std::vector<std::string> users{"sa", "sb", "sc"};
  std::map<std::string, std::string> words;
  std::string speaker;
  {
    ServerProcess server(opts);
    std::vector<std::unique_ptr<Player>> ps;
    for (auto& u : users) ps.push_back(std::make_unique<Player>(server.port(), u));
    ps[0]->spy("CREATE_ROOM", {{"roomId", "keep"}, {"name", "A"}});
    REQUIRE(ps[0]->next("create_room_response"));
    ps[1]->spy("join_room", {{"roomId", "keep"}, {"name", "B"}});
    ps[2]->spy("join_room", {{"roomId", "keep"}, {"name", "C"}});
    REQUIRE(ps[1]->next("join_room_response"));
    REQUIRE(ps[2]->next("join_room_response"));
    for (auto& p : ps) p->spy("ready", {{"roomId", "keep"}});
    auto first = ps[0]->next("speak_statement");
    REQUIRE(first);
    speaker = str(*first, "currentSpeaker");
    for (auto& p : ps) words[p->user] = own_word(*p);
    server.signal(SIGTERM);
    CHECK(server.wait() == 0);
  }
  ServerProcess server(opts);
  CHECK(server.log().find("rooms_restored rooms=1") != std::string::npos);
  std::vector<std::unique_ptr<Player>> back;
  for (auto& u : users) back.push_back(reconnect(server.port(), u));
  for (auto& p : back) {
    auto st = p->next("room_state");
    REQUIRE(st);
    auto rs = st->at("roomState").as_object();
    CHECK(rs.at("gameStarted") == true);
    CHECK(str(rs, "phase") == "speaking");
    CHECK(rs.at("alivePlayers").as_array().size() == 3);
    std::string type = words[p->user].substr(0, words[p->user].find(':'));
    REQUIRE(p->next(type));
    CHECK(own_word(*p) == words[p->user]);  // the same word as before the restart
  }
  auto speaking = back[1]->next("speak_statement");
  REQUIRE(speaking);
  CHECK(str(*speaking, "currentSpeaker") == speaker);
  // The game goes on to a vote.
  for (int i = 0; i < 3; ++i) {
    auto s = back[0]->next("speak_statement");
    REQUIRE(s);
    for (auto& p : back)
      if (p->user == str(*s, "currentSpeaker"))
        p->spy("skip_speaking_statement", {{"roomId", "keep"}});
  }
  CHECK(back[0]->next("start_voting", 10s));
}

TEST_CASE("restart: a skribble game survives SIGTERM with word, scores, strokes and time",
          "[durability]") {
  TempDb db;
  std::vector<std::string> opts{db.url(), "games.time_scale=0.2", "server.reconnect_grace=5s"};
  std::string word;
  std::int64_t remaining_before = 0;
  {
    ServerProcess server(opts);
    Player a(server.port(), "ka"), b(server.port(), "kb"), c(server.port(), "kc");
    a.skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", "draw"}, {"PlayerName", "A"}});
    REQUIRE(a.next("create_room_response"));
    b.skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", "draw"}, {"name", "B"}});
    c.skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", "draw"}, {"name", "C"}});
    REQUIRE(c.next("join_room_response"));
    a.skribble("START_SKRIBBLE_GAME", {{"roomId", "draw"}});
    word = str(*a.next("WORD"), "word");
    REQUIRE(b.next("SECOND_TIMER"));
    a.skribble("SKRIBBLE_DRAW", {{"roomId", "draw"}, {"x", 5}});
    b.skribble("SKRIBBLE_MESSAGE", {{"roomId", "draw"}, {"message", word}});
    REQUIRE(b.next("WORD_MATCHED"));
    auto t = b.next("SECOND_TIMER");
    REQUIRE(t);
    remaining_before = t->at("timeRemaining").as_int64();
    server.signal(SIGTERM);
    CHECK(server.wait() == 0);
  }
  ServerProcess server(opts);
  auto a = reconnect(server.port(), "ka");
  auto b = reconnect(server.port(), "kb");
  auto snap = b->next("ROOM_STATE");
  REQUIRE(snap);
  INFO(json::serialize(*snap));
  INFO(server.log());
  CHECK(str(*snap, "phase") == "drawing");
  CHECK(snap->at("strokes").as_array().size() == 1);
  bool scored = false;
  for (auto& p : snap->at("players").as_array())
    if (str(p.as_object(), "userId") == "kb") scored = p.at("score").as_int64() == 200;
  CHECK(scored);
  // Remaining game time is within a few ticks of what it was (the restart took some of it).
  CHECK(snap->at("timeRemaining").as_int64() <= remaining_before);
  CHECK(snap->at("timeRemaining").as_int64() >= remaining_before - 5);
  auto w = a->next("WORD");
  REQUIRE(w);
  CHECK(str(*w, "word") == word);
  CHECK(b->next("SECOND_TIMER"));  // the clock runs again
}

TEST_CASE("crash: kill -9 loses at most the flush window", "[durability]") {
  TempDb db;
  std::vector<std::string> opts{db.url(), "games.time_scale=0.2", "server.reconnect_grace=5s",
                                "store.flush_interval=50ms"};
  {
    ServerProcess server(opts);
    Player a(server.port(), "ca"), b(server.port(), "cb");
    a.skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", "crash"}, {"PlayerName", "A"}});
    REQUIRE(a.next("create_room_response"));
    b.skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", "crash"}, {"name", "B"}});
    REQUIRE(b.next("join_room_response"));
    a.skribble("START_SKRIBBLE_GAME", {{"roomId", "crash"}});
    std::string word = str(*a.next("WORD"), "word");
    REQUIRE(b.next("SECOND_TIMER"));
    b.skribble("SKRIBBLE_MESSAGE", {{"roomId", "crash"}, {"message", word}});
    REQUIRE(b.next("ROUND_END"));        // the only guesser guessed: the turn ended
    std::this_thread::sleep_for(300ms);  // past the 50 ms flush window
    server.signal(SIGKILL);
    server.wait();
  }
  ServerProcess server(opts);
  auto b = reconnect(server.port(), "cb");
  auto snap = b->next("ROOM_STATE");
  REQUIRE(snap);
  std::int64_t score = -1;
  for (auto& p : snap->at("players").as_array())
    if (str(p.as_object(), "userId") == "cb") score = p.at("score").as_int64();
  CHECK(score == 200);
  CHECK(str(*snap, "phase") != "lobby");
}

TEST_CASE("crash: DMs queued for an offline user survive kill -9 and arrive in order",
          "[durability]") {
  TempDb db;
  {
    ServerProcess server({db.url()});
    auto alice = connect_user(server.port(), "alice");
    for (int i = 1; i <= 4; ++i)
      alice->send(
          R"({"EventFrom":"AppChatMessaging","type":"chat","userId":"alice","receiverID":"zed","n":)" +
          std::to_string(i) + "}");
    for (int i = 0; i < 100 && server.metric("roomctl_dm_queued_total") < 4; ++i)
      std::this_thread::sleep_for(20ms);
    REQUIRE(server.metric("roomctl_dm_queued_total") == 4);
    server.signal(SIGKILL);
    server.wait();
  }
  ServerProcess server({db.url()});
  Player zed(server.port(), "zed");
  zed.send({{"EventFrom", "App"}, {"type", "app_opened"}});
  for (int i = 1; i <= 4; ++i) {
    auto m = zed.next("queued_message");
    REQUIRE(m);
    CHECK(m->at("n") == i);
  }
}

TEST_CASE(
    "redis outage: the game goes on, readyz flips to 503 and back, the snapshot is current after",
    "[durability][redis]") {
  RedisProcess redis;
  ServerProcess server(
      {"store.url=" + redis.url(0), "games.time_scale=0.1", "rooms.sweep_interval=50ms"});
  CHECK(http_get(server.admin_port(), "/readyz").status == 200);
  std::vector<std::unique_ptr<Player>> ps;
  for (const char* u : {"ra", "rb", "rc"}) ps.push_back(std::make_unique<Player>(server.port(), u));
  ps[0]->spy("CREATE_ROOM", {{"roomId", "rr"}, {"name", "A"}});
  REQUIRE(ps[0]->next("create_room_response"));
  for (int i = 1; i < 3; ++i) ps[i]->spy("join_room", {{"roomId", "rr"}, {"name", "X"}});
  for (auto& p : ps) p->next("join_room_response");
  for (auto& p : ps) p->spy("ready", {{"roomId", "rr"}});
  REQUIRE(ps[0]->next("speak_statement"));
  redis.stop();
  bool down = false;
  for (int i = 0; i < 100 && !down; ++i) {
    down = http_get(server.admin_port(), "/readyz").status == 503;
    if (!down) std::this_thread::sleep_for(50ms);
  }
  CHECK(down);
  // The game never stops: turns keep coming while Redis is away.
  CHECK(ps[1]->next("speak_statement", 5s));
  CHECK(ps[1]->next("speak_statement", 5s));
  redis.start();
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = http_get(server.admin_port(), "/readyz").status == 200;
    if (!up) std::this_thread::sleep_for(50ms);
  }
  CHECK(up);
  // The restarted Redis was empty: the room is there again only if the writer caught up.
  std::string stored;
  for (int i = 0; i < 100; ++i) {
    stored = redis.cli("GET roomctl:room:rr");
    if (stored.find("spy") == 0) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(stored.find("spy") == 0);
  CHECK(stored.find("\"roomId\":\"rr\"") != std::string::npos);
  CHECK(server.metric("roomctl_store_retries_total") >= 1);
}
