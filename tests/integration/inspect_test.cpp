// The admin API and `roomctl inspect` against a real server with live games: listing and
// filters, room detail without secrets (and with reveal), users, stats, close and kick seen by
// the clients, the admin drain flipping readyz, 401s, and JSON output parsed.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
const char* kToken = "s3cret-token";

struct Inspect {
  std::uint16_t admin;
  std::string token = kToken;
  int run(std::vector<std::string> args, std::string& out) const {
    std::vector<std::string> argv{ROOMCTL_BINARY, "inspect"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--server", "http://127.0.0.1:" + std::to_string(admin)});
    if (!token.empty()) argv.insert(argv.end(), {"--token", token});
    return run_command(argv, out);
  }
  json::object json_of(std::vector<std::string> args) const {
    std::string out;
    args.insert(args.end(), {"-o", "json"});
    int rc = run(args, out);
    INFO(out);
    REQUIRE(rc == 0);
    return json::parse(out).as_object();
  }
};

// A running spy game (3 players) and a skribble game in DRAWING (2 players).
struct Live {
  std::vector<std::unique_ptr<Player>> spy, sk;
  std::string word;
  Live(std::uint16_t port) {
    for (const char* u : {"s1", "s2", "s3"}) spy.push_back(std::make_unique<Player>(port, u));
    spy[0]->spy("CREATE_ROOM", {{"roomId", "spyroom"}, {"name", "S1"}});
    REQUIRE(spy[0]->next("create_room_response"));
    for (int i = 1; i < 3; ++i) {
      spy[i]->spy("join_room", {{"roomId", "spyroom"}, {"name", "S"}});
      REQUIRE(spy[i]->next("join_room_response"));
    }
    for (auto& p : spy) p->spy("ready", {{"roomId", "spyroom"}});
    REQUIRE(spy[0]->next("round_started"));
    for (const char* u : {"k1", "k2"}) sk.push_back(std::make_unique<Player>(port, u));
    sk[0]->skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", "skroom"}, {"PlayerName", "K1"}});
    REQUIRE(sk[0]->next("create_room_response"));
    sk[1]->skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", "skroom"}, {"name", "K2"}});
    REQUIRE(sk[1]->next("join_room_response"));
    sk[0]->skribble("START_SKRIBBLE_GAME", {{"roomId", "skroom"}});
    word = str(*sk[0]->next("WORD"), "word");
    REQUIRE(sk[1]->next("SECOND_TIMER"));
    sk[0]->skribble("SKRIBBLE_DRAW", {{"roomId", "skroom"}, {"x", 1}});
    REQUIRE(sk[1]->next("SKRIBBLE_DRAW"));
  }
};
}  // namespace

TEST_CASE("inspect: rooms list with filters and paging, JSON output", "[inspect]") {
  ServerProcess server({std::string("admin.token=") + kToken, "games.time_scale=0.5"});
  Live live(server.port());
  Inspect in{server.admin_port()};
  auto all = in.json_of({"rooms"});
  CHECK(all.at("total") == 2);
  CHECK_FALSE(str(all, "node").empty());
  auto spy = in.json_of({"rooms", "--game", "spy"});
  REQUIRE(spy.at("rooms").as_array().size() == 1);
  CHECK(str(spy.at("rooms").at(0).as_object(), "roomId") == "spyroom");
  CHECK(in.json_of({"rooms", "--min-players", "3"}).at("total") == 1);
  CHECK(in.json_of({"rooms", "--phase", "drawing"}).at("total") == 1);
  auto page = in.json_of({"rooms", "--limit", "1"});
  CHECK(page.at("rooms").as_array().size() == 1);
  CHECK(str(page, "nextCursor") == "1");
  auto rest = in.json_of({"rooms", "--limit", "1", "--cursor", "1"});
  CHECK(rest.at("nextCursor").is_null());
  std::string table;
  CHECK(in.run({"rooms"}, table) == 0);
  CHECK(table.find("spyroom") != std::string::npos);
  for (std::size_t at = 0, nl; (nl = table.find('\n', at)) != std::string::npos; at = nl + 1)
    CHECK(nl - at <= 80);  // fits an 80-column terminal
}

TEST_CASE("inspect: room detail of running games reveals no secret without reveal", "[inspect]") {
  ServerProcess server(
      {std::string("admin.token=") + kToken, "games.time_scale=0.5", "admin.allow_reveal=true"});
  Live live(server.port());
  Inspect in{server.admin_port()};
  auto sk = in.json_of({"room", "skroom"});
  CHECK(str(sk, "phase") == "drawing");
  CHECK(sk.at("strokeLogEvents") == 1);
  CHECK(sk.at("members").as_array().size() == 2);
  CHECK(sk.at("messagesIn").as_int64() >= 3);
  std::string raw = json::serialize(sk);
  CHECK(raw.find("\"" + live.word + "\"") == std::string::npos);
  CHECK_FALSE(sk.contains("secrets"));
  auto spy = in.json_of({"room", "spyroom"});
  CHECK_FALSE(spy.contains("secrets"));
  CHECK(spy.at("members").at(0).at("online") == true);
  auto revealed = in.json_of({"room", "skroom", "--reveal"});
  CHECK(str(revealed.at("secrets").as_object(), "word") == live.word);
  std::string table;
  CHECK(in.run({"room", "spyroom"}, table) == 0);
  CHECK(table.find("s1") != std::string::npos);
}

TEST_CASE("inspect: reveal needs admin.allow_reveal", "[inspect]") {
  ServerProcess server({std::string("admin.token=") + kToken});
  Live live(server.port());
  auto r = http_get(server.admin_port(), "/admin/rooms/skroom?reveal=true",
                    std::string("Bearer ") + kToken);
  CHECK(r.status == 403);
  CHECK(r.body.find(live.word) == std::string::npos);
}

TEST_CASE("inspect: users and stats", "[inspect]") {
  ServerProcess server({std::string("admin.token=") + kToken, "games.time_scale=0.5"});
  Live live(server.port());
  Inspect in{server.admin_port()};
  auto u = in.json_of({"users", "s1"});
  CHECK(str(u, "status") == "InGame");
  CHECK(u.at("online") == true);
  CHECK(u.at("rooms").as_array().at(0) == "spyroom");
  auto st = in.json_of({"stats"});
  CHECK(st.at("rooms") == 2);
  CHECK(st.at("connections") == 5);
  CHECK(st.at("limits").at("maxRooms") == 20000);
  std::string out;
  CHECK(in.run({"users", "ghost"}, out) == 5);
  CHECK(in.run({"room", "ghost"}, out) == 5);
}

TEST_CASE("inspect: close and kick are seen by the clients", "[inspect]") {
  ServerProcess server({std::string("admin.token=") + kToken, "games.time_scale=0.5"});
  Live live(server.port());
  Inspect in{server.admin_port()};
  std::string out;
  CHECK(in.run({"close", "spyroom"}, out) == 0);
  for (auto& p : live.spy) {
    auto c = p->next("room_closed");
    REQUIRE(c);
    CHECK(str(*c, "reason") == "admin");
  }
  CHECK(server.metric(R"(roomctl_rooms_removed_total{reason="admin"})") == 1);
  CHECK(in.run({"kick", "k2"}, out) == 0);
  CHECK(live.sk[1]->ws->wait_closed() == std::optional<std::uint16_t>(4003));
  CHECK(live.sk[0]->next("PLAYER_LEFT"));
}

TEST_CASE("inspect: drain flips readyz and refuses new rooms, resume undoes it", "[inspect]") {
  ServerProcess server({std::string("admin.token=") + kToken, "games.time_scale=0.5"});
  Live live(server.port());
  Inspect in{server.admin_port()};
  std::string out;
  CHECK(in.run({"drain"}, out) == 0);
  CHECK(http_get(server.admin_port(), "/readyz").status == 503);
  Player late(server.port(), "late");
  late.spy("CREATE_ROOM", {{"roomId", "new"}, {"name", "L"}});
  auto r = late.next("create_room_response");
  REQUIRE(r);
  CHECK(r->at("status") == false);
  late.spy("join_room", {{"roomId", "spyroom"}, {"name", "L"}});
  CHECK(late.next("join_room_response")->at("status") == false);
  // Running games go on.
  CHECK(live.sk[1]->next("SECOND_TIMER"));
  CHECK(in.run({"resume"}, out) == 0);
  CHECK(http_get(server.admin_port(), "/readyz").status == 200);
}

TEST_CASE("inspect: 401 without or with a wrong token, nothing revealed", "[inspect]") {
  ServerProcess server({std::string("admin.token=") + kToken});
  for (const char* auth : {"", "Bearer wrong", "Basic czNjcmV0"}) {
    auto r = http_get(server.admin_port(), "/admin/rooms", auth);
    CHECK(r.status == 401);
    CHECK(r.body.find("rooms") == std::string::npos);
  }
  Inspect wrong{server.admin_port(), "nope"};
  std::string out;
  CHECK(wrong.run({"stats"}, out) == 4);
  CHECK(out.find("unauthorized") != std::string::npos);
  // health and metrics stay open for probes.
  CHECK(http_get(server.admin_port(), "/healthz").status == 200);
}

TEST_CASE("inspect: without a configured token the admin API answers on loopback", "[inspect]") {
  ServerProcess server;
  Inspect in{server.admin_port(), ""};
  auto st = in.json_of({"stats"});
  CHECK(st.contains("rooms"));
  std::string out;
  CHECK(in.run({"nonsense"}, out) == 2);
  Inspect unreachable{1, ""};
  CHECK(unreachable.run({"stats"}, out) == 1);
}
