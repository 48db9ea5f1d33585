// Attacks that are bugs in every mode (forged server frames in DMs, friend messages and invites
// in another user's name, cross-site admin POSTs), the per-user and per-address limits, and a
// load test against a server in token mode.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/integration/auth_support.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

namespace {
// A bound user in either mode: with its token in the URL when the server wants one.
std::unique_ptr<WsClient> user(const ServerProcess& s, bool token, const std::string& id) {
  auto c = std::make_unique<WsClient>();
  c->connect("127.0.0.1", s.port(), token ? "/?token=" + token_for(id) : "/");
  c->send(app_opened(id));
  REQUIRE(c->recv_until(of_type("users_online")));
  return c;
}

std::string next_error(WsClient& c) {
  auto m = c.recv_until(of_type("error"), 2s);
  return m ? str(J(*m), "code") : "";
}

std::string create_room(WsClient& c, const std::string& user, const std::string& room) {
  c.send(R"({"EventFrom":"SpyGame","type":"CREATE_ROOM","userId":")" + user + R"(","roomId":")" +
         room + R"(","name":"N"})");
  auto m = c.recv_until(of_type("create_room_response"), 2s);
  if (!m) return "no answer";
  auto o = J(*m);
  return o.at("status").as_bool() ? "ok" : str(o, "code");
}
}  // namespace

TEST_CASE("forged frames are refused in every mode", "[auth][abuse]") {
  bool token = GENERATE(false, true);
  INFO("token mode: " << token);
  ServerProcess server(token ? token_mode() : std::vector<std::string>{});
  auto alice = user(server, token, "alice");
  auto bob = user(server, token, "bob");
  auto carol = user(server, token, "carol");

  SECTION("a DM with a type the server sends") {
    for (const char* type : {"game_ended", "room_closed", "users_online", "error", "WORD"}) {
      alice->send(R"({"EventFrom":"AppChatMessaging","type":")" + std::string(type) +
                  R"(","userId":"alice","receiverID":"bob","winner":"spy"})");
      CHECK(next_error(*alice) == "forged_type");
    }
    // Client types (chat, typing, read receipts) still pass, verbatim.
    alice->send(
        R"({"EventFrom":"AppChatMessaging","type":"typing","userId":"alice","receiverID":"bob"})");
    auto got =
        bob->recv_until([](const std::string& m) { return m.find("alice") != std::string::npos; });
    REQUIRE(got);
    CHECK(str(J(*got), "type") == "typing");
    CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="forged_type"})") == 5);
  }
  SECTION("friend requests, accepts and invites in another user's name") {
    alice->send(
        R"({"EventFrom":"Friend","type":"request","userId":"alice","senderUserId":"bob","receiverUserId":"carol","senderName":"Bob"})");
    CHECK(next_error(*alice) == "user_mismatch");
    alice->send(
        R"({"EventFrom":"Friend","type":"accept","userId":"alice","senderUserId":"carol","reciverUserId":"bob"})");
    CHECK(next_error(*alice) == "user_mismatch");
    alice->send(
        R"({"EventFrom":"SpyGame","type":"invite_friend","userId":"alice","senderUserId":"bob","FriendUserId":"carol","roomId":"r1"})");
    CHECK(next_error(*alice) == "user_mismatch");
    CHECK_FALSE(carol->recv_until(of_type("friend_request"), 300ms));
    CHECK_FALSE(carol->recv_until(of_type("invite_friend"), 100ms));
    CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="spoofed_sender"})") == 3);
    // In its own name it works.
    alice->send(
        R"({"EventFrom":"Friend","type":"request","userId":"alice","senderUserId":"alice","receiverUserId":"carol","senderName":"A"})");
    CHECK(carol->recv_until(of_type("friend_request")));
  }
}

TEST_CASE("admin API: cross-site and non-JSON mutating requests are refused and logged",
          "[auth][admin]") {
  bool token = GENERATE(false, true);
  ServerProcess server(token ? std::vector<std::string>{"admin.token=t0ken"}
                             : std::vector<std::string>{});
  std::vector<std::pair<std::string, std::string>> auth;
  if (token) auth.push_back({"Authorization", "Bearer t0ken"});
  auto with = [&](std::vector<std::pair<std::string, std::string>> h) {
    h.insert(h.end(), auth.begin(), auth.end());
    return h;
  };
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="admin_origin"})") == 0);
  auto r = http_request(server.admin_port(), "POST", "/admin/drain",
                        with({{"Origin", "http://evil.example"}}));
  CHECK(r.status == 403);
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
    r = http_request(server.admin_port(), "POST", "/admin/drain", with({{"Content-Type", type}}));
    CHECK(r.status == 415);
  }
  CHECK(http_get(server.admin_port(), "/readyz").status == 200);  // no drain happened
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="admin_origin"})") == 1);
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="admin_content_type"})") == 3);

  r = http_request(server.admin_port(), "POST", "/admin/drain",
                   with({{"Content-Type", "application/json"}}));
  CHECK(r.status == 200);
  CHECK(http_get(server.admin_port(), "/readyz").status == 503);
  CHECK(http_request(server.admin_port(), "POST", "/admin/resume", with({})).status == 200);
  CHECK(eventually([&] { return server.log().find("admin_action") != std::string::npos; }));
  CHECK(server.log().find("peer=127.0.0.1:") != std::string::npos);
}

TEST_CASE("admin API audit: actions, reveals and refusals are logged with a token fingerprint",
          "[auth][admin]") {
  ServerProcess server({"admin.token=s3cret-admin-token", "admin.allow_reveal=true"});
  auto bearer = std::vector<std::pair<std::string, std::string>>{
      {"Authorization", "Bearer s3cret-admin-token"}};
  CHECK(http_request(server.admin_port(), "POST", "/admin/drain", bearer).status == 200);
  CHECK(http_request(server.admin_port(), "POST", "/admin/resume", bearer).status == 200);
  CHECK(http_request(server.admin_port(), "GET", "/admin/rooms/nope?reveal=true", bearer).status ==
        404);
  CHECK(http_request(server.admin_port(), "GET", "/admin/rooms", bearer).status == 200);
  CHECK(http_request(server.admin_port(), "GET", "/admin/stats", {}).status == 401);
  CHECK(
      http_request(server.admin_port(), "POST", "/admin/drain", {{"Authorization", "Bearer wrong"}})
          .status == 401);
  CHECK(eventually([&] { return server.log().find("status=401") != std::string::npos; }));
  std::string log = server.log();
  INFO(log);
  auto line_with = [&](const std::string& needle) {
    auto at = log.find(needle);
    if (at == std::string::npos) return std::string();
    auto start = log.rfind('\n', at);
    return log.substr(start == std::string::npos ? 0 : start + 1,
                      log.find('\n', at) - (start == std::string::npos ? 0 : start + 1));
  };
  auto drain = line_with("target=/admin/drain");
  CHECK(drain.find(" info admin_action") != std::string::npos);
  CHECK(drain.find("peer=127.0.0.1:") != std::string::npos);
  CHECK(drain.find("token=") != std::string::npos);
  CHECK(drain.find("token=none") == std::string::npos);
  CHECK(line_with("reveal=true").find("admin_action") != std::string::npos);  // reads of secrets
  CHECK(line_with("target=/admin/stats").find(" warn admin_action") != std::string::npos);
  CHECK(line_with("target=/admin/stats").find("token=none") != std::string::npos);
  CHECK(log.find("s3cret-admin-token") == std::string::npos);  // never the token itself
  CHECK(log.find("target=/readyz") == std::string::npos);      // plain reads are not audited
}

TEST_CASE("serve refuses a non-loopback admin listener without a token", "[auth][admin]") {
  std::string out;
  int rc =
      run_command({"timeout", "10", ROOMCTL_BINARY, "serve", "--set", "server.listen=127.0.0.1:0",
                   "--set", "admin.listen=0.0.0.0:0", "--set", "store.url=memory://"},
                  out);
  CHECK(rc == 2);
  CHECK(out.find("not a loopback address") != std::string::npos);
  rc = run_command({"timeout", "10", ROOMCTL_BINARY, "serve", "--set", "server.listen=127.0.0.1:0",
                    "--set", "admin.listen=127.0.0.1:0", "--set", "auth.mode=token"},
                   out);
  CHECK(rc == 2);
  CHECK(out.find("no key to check tokens with") != std::string::npos);
  ServerProcess ok({"admin.listen=0.0.0.0:0", "admin.token=t0ken"});
  CHECK(http_get(ok.admin_port(), "/admin/stats", "Bearer t0ken").status == 200);
}

TEST_CASE("abuse limits per user and per address", "[abuse]") {
  SECTION("room creations per minute and rooms held") {
    ServerProcess server({"abuse.room_creations_per_user=3", "abuse.rooms_held_per_user=2"});
    CHECK(server.metric(R"(roomctl_refusals_total{limit="rooms_held"})") == 0);
    auto a = connect_user(server.port(), "a");
    CHECK(create_room(*a, "a", "r1") == "ok");
    CHECK(create_room(*a, "a", "r2") == "ok");
    CHECK(create_room(*a, "a", "r3") == "rooms_held");
    a->send(R"({"EventFrom":"SpyGame","type":"leave_room","userId":"a","roomId":"r1"})");
    CHECK(eventually([&] { return create_room(*a, "a", "r4") != "rooms_held"; }));
    a->send(R"({"EventFrom":"SpyGame","type":"leave_room","userId":"a","roomId":"r2"})");
    std::string answer;
    CHECK(eventually([&] { return (answer = create_room(*a, "a", "r5")) != "rooms_held"; }));
    CHECK(answer == "room_creations_user");  // the fourth creation within the minute
    CHECK(server.metric(R"(roomctl_refusals_total{limit="room_creations_user"})") >= 1);
  }
  SECTION("direct messages per minute") {
    ServerProcess server({"abuse.dms_per_user=2"});
    auto a = connect_user(server.port(), "a");
    for (int i = 0; i < 2; ++i) a->send(dm_text("a", "b", "m"));
    a->send(dm_text("a", "b", "m"));
    CHECK(next_error(*a) == "dm_rate");
    CHECK(server.metric(R"(roomctl_refusals_total{limit="dm_rate"})") == 1);
  }
  SECTION("identities per address per minute (presence churn)") {
    ServerProcess server({"abuse.identities_per_address=2"});
    auto a = connect_user(server.port(), "a");
    auto b = connect_user(server.port(), "b");
    auto c = connect_client(server.port());
    c->send(app_opened("c"));
    CHECK(next_error(*c) == "identity_rate");
    CHECK(server.metric(R"(roomctl_refusals_total{limit="identity_rate"})") == 1);
  }
  SECTION("connections per address") {
    ServerProcess server({"abuse.connections_per_address=2"});
    auto a = connect_client(server.port());
    auto b = connect_client(server.port());
    auto c = connect_client(server.port());
    CHECK(c->wait_closed() == std::optional<std::uint16_t>(1008));
    a->close();
    CHECK(eventually([&] {
      auto d = connect_client(server.port());
      return !d->wait_closed(200ms).has_value();
    }));
    CHECK(server.metric(R"(roomctl_refusals_total{limit="connections_per_address"})") >= 1);
  }
}

TEST_CASE("loadtest smoke against a server in token mode", "[loadtest][auth]") {
  ServerProcess server(token_mode({"games.time_scale=0.05"}));
  std::string out;
  int rc = run_command({ROOMCTL_BINARY, "loadtest", "--profile",
                        std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/smoke.yaml", "--set",
                        "target=ws://127.0.0.1:" + std::to_string(server.port()) + "/", "--set",
                        "auth.token_secret=" + kAuthSecret, "--workers", "2"},
                       out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="auth_required"})") == 0);
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="bad_token"})") == 0);
  CHECK(server.metric("roomctl_games_started_total{game=\"spy\"}") >= 1);
}
