// Who may act as whom (docs/protocol.md §Identity): in none mode any socket takes any user over
// (ORIG, documented) unless the user opted in to a resume secret; in token mode only a valid
// token for that user binds it, from the URL, the Authorization header or the message.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "tests/integration/auth_support.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"
#include "tests/test_keys.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

namespace {
std::unique_ptr<WsClient> connect_path(std::uint16_t port, const std::string& path) {
  auto c = std::make_unique<WsClient>();
  c->connect("127.0.0.1", port, path);
  return c;
}

// The `code` of the next error the client receives, or "" when none comes.
std::string next_error(WsClient& c) {
  auto m = c.recv_until(of_type("error"), 2s);
  return m ? str(J(*m), "code") : "";
}

// True when the server did not close `c` within a short while.
bool still_open(WsClient& c) {
  return !c.wait_closed(300ms).has_value() && c.is_open();
}
}  // namespace

TEST_CASE("none mode: a stranger takes a user over with its id alone (ORIG, documented)",
          "[auth]") {
  ServerProcess server;
  auto alice = connect_user(server.port(), "alice");
  auto mallory = connect_client(server.port());
  mallory->send(app_opened("alice"));
  CHECK(mallory->recv_until(of_type("users_online")));
  CHECK(alice->wait_closed() == std::optional<std::uint16_t>(4001));
}

TEST_CASE("token mode: a user is bound only with a valid token for it", "[auth]") {
  ServerProcess server(token_mode());
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="auth_required"})") == 0);
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="token_user_mismatch"})") == 0);

  auto alice = connect_path(server.port(), "/?token=" + token_for("alice"));
  alice->send(app_opened("alice"));
  REQUIRE(alice->recv_until(of_type("users_online")));

  SECTION("no token: auth_required, the victim keeps its connection") {
    auto mallory = connect_client(server.port());
    mallory->send(app_opened("alice"));
    CHECK(next_error(*mallory) == "auth_required");
    CHECK(still_open(*alice));
    CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="auth_required"})") == 1);
    // Nothing that needs a user works either.
    mallory->send(dm_text("alice", "bob", "hi"));
    CHECK(next_error(*mallory) == "auth_required");
  }
  SECTION("a token for another user: user_mismatch, in the URL or in the message") {
    auto m1 = connect_path(server.port(), "/?token=" + token_for("mallory"));
    m1->send(app_opened("alice"));
    CHECK(next_error(*m1) == "user_mismatch");
    auto m2 = connect_client(server.port());
    m2->send(app_opened("alice", R"(,"token":")" + token_for("mallory") + "\""));
    CHECK(next_error(*m2) == "user_mismatch");
    CHECK(still_open(*alice));
    CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="token_user_mismatch"})") == 2);
  }
  SECTION("a forged or expired token in the message is refused with its reason") {
    auto m = connect_client(server.port());
    auto forged = token_for("alice");
    char& c = forged[forged.size() - 10];  // inside the signature, all six bits count
    c = c == 'A' ? 'B' : 'A';
    m->send(app_opened("alice", R"(,"token":")" + forged + "\""));
    CHECK(next_error(*m) == "bad_token");
    m->send(app_opened("alice", R"(,"token":")" + token_for("alice", -3600) + "\""));
    CHECK(next_error(*m) == "token_expired");
    CHECK(still_open(*alice));
  }
  SECTION("a token in the upgrade binds its user even when messages name none") {
    auto again = connect_path(server.port(), "/?token=" + token_for("alice"));
    again->send(R"({"EventFrom":"App","type":"app_opened"})");
    CHECK(again->recv_until(of_type("users_online")));
    CHECK(alice->wait_closed() == std::optional<std::uint16_t>(4001));
  }
  SECTION("a switch to another userId on the same socket needs the new user's token") {
    // The public app keeps one socket and uses a new userId per room (docs/protocol.md).
    auto app = connect_path(server.port(), "/?token=" + token_for("carol"));
    app->send(app_opened("carol"));
    REQUIRE(app->recv_until(of_type("users_online")));
    app->send(app_opened("dave"));
    CHECK(next_error(*app) == "user_mismatch");  // carol's proof does not make it dave
    app->send(dm_text("carol", "alice", "still carol"));
    CHECK(alice->recv_until([](const std::string& m) {
      return m.find("still carol") != std::string::npos && m.find("\"carol\"") != std::string::npos;
    }));
    app->send(app_opened("dave", R"(,"token":")" + token_for("dave") + "\""));
    REQUIRE(app->recv_until(of_type("users_online")));
    app->send(dm_text("dave", "alice", "now dave"));
    CHECK(alice->recv_until(
        [](const std::string& m) { return m.find("now dave") != std::string::npos; }));
    app->send(app_opened("carol"));  // and back again needs carol's token once more
    CHECK(next_error(*app) == "user_mismatch");
  }
  SECTION("the user's own token takes it over (a reconnect), from the first message") {
    auto again = connect_client(server.port());
    again->send(app_opened("alice", R"(,"token":")" + token_for("alice") + "\""));
    CHECK(again->recv_until(of_type("users_online")));
    CHECK(alice->wait_closed() == std::optional<std::uint16_t>(4001));
  }
}

TEST_CASE("a token or resume secret in a relayed message never reaches the receiver", "[auth]") {
  ServerProcess server(token_mode());
  auto bob = connect_path(server.port(), "/?token=" + token_for("bob"));
  bob->send(app_opened("bob"));
  REQUIRE(bob->recv_until(of_type("users_online")));
  auto alice = connect_client(server.port());
  std::string token = token_for("alice");
  // Alice's first message is a DM carrying her token.
  alice->send(
      R"({"EventFrom":"AppChatMessaging","type":"chat","userId":"alice","receiverID":"bob","text":"hi","token":")" +
      token + R"(","resumeSecret":"s"})");
  auto got = bob->recv_until(of_type("chat"));
  REQUIRE(got);
  CHECK(got->find("\"text\":\"hi\"") != std::string::npos);
  CHECK(got->find(token) == std::string::npos);
  CHECK(got->find("resumeSecret") == std::string::npos);
}

TEST_CASE("token mode: a bad token in the upgrade is refused with 401 and its reason", "[auth]") {
  ServerProcess server(token_mode());
  {
    RawSocket s(server.port());
    auto answer = raw_upgrade(s, "/?token=not.a.token");
    CHECK(answer.rfind("HTTP/1.1 401", 0) == 0);
    CHECK(answer.find("bad_token") != std::string::npos);
  }
  {
    RawSocket s(server.port());
    auto answer = raw_upgrade(s, "/?token=" + token_for("alice", -3600));
    CHECK(answer.find("token_expired") != std::string::npos);
  }
  {
    RawSocket s(server.port());
    auto answer = raw_upgrade(s, "/", "Authorization: Bearer x.y.z\r\n");
    CHECK(answer.rfind("HTTP/1.1 401", 0) == 0);
  }
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="bad_token"})") == 2);
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="token_expired"})") == 1);

  // The Authorization header carries a good token too.
  RawSocket s(server.port());
  auto answer = raw_upgrade(s, "/", "Authorization: Bearer " + token_for("alice") + "\r\n");
  REQUIRE(answer.rfind("HTTP/1.1 101", 0) == 0);
  s.write(RawSocket::text_frame(app_opened("alice")));
  std::string got;
  for (int i = 0; i < 20 && got.find("users_online") == std::string::npos; ++i)
    got += s.read_some(100);
  CHECK(got.find("users_online") != std::string::npos);
}

TEST_CASE("none mode: an opted-in user is taken over only with its resume secret", "[auth]") {
  ServerProcess server({"server.reconnect_grace=600ms", "rooms.sweep_interval=50ms"});
  auto alice = connect_client(server.port());
  alice->send(app_opened("alice", R"(,"resume":true)"));
  auto secret_frame = alice->recv_until(of_type("resume_secret"));
  REQUIRE(secret_frame);
  std::string secret = str(J(*secret_frame), "resumeSecret");
  REQUIRE(secret.size() >= 32);

  auto mallory = connect_client(server.port());
  mallory->send(app_opened("alice"));
  CHECK(next_error(*mallory) == "resume_required");
  mallory->send(app_opened("alice", R"(,"resumeSecret":"guess")"));
  CHECK(next_error(*mallory) == "resume_required");
  CHECK(still_open(*alice));
  CHECK(server.metric(R"(roomctl_auth_refusals_total{reason="resume_secret"})") == 2);

  // Its own client, reconnecting with the secret, takes the user back.
  auto again = connect_client(server.port());
  again->send(app_opened("alice", R"(,"resumeSecret":")" + secret + "\""));
  CHECK(again->recv_until(of_type("users_online")));
  CHECK(alice->wait_closed() == std::optional<std::uint16_t>(4001));

  // Within the grace after a disconnect the secret still guards the user; after it, not.
  again->close();
  std::this_thread::sleep_for(100ms);
  auto early = connect_client(server.port());
  early->send(app_opened("alice"));
  CHECK(next_error(*early) == "resume_required");
  CHECK(eventually(
      [&] {
        auto late = connect_client(server.port());
        late->send(app_opened("alice"));
        return late->recv_until(of_type("users_online"), 300ms).has_value();
      },
      5s));

  // A user that never opted in stays open to take-overs, as in ORIG.
  auto bob = connect_user(server.port(), "bob");
  auto bob2 = connect_user(server.port(), "bob");
  CHECK(bob->wait_closed() == std::optional<std::uint16_t>(4001));
}

TEST_CASE("RS256 and ES256: tokens from `roomctl token --private-key` bind, HS256 ones do not",
          "[auth]") {
  bool rsa = GENERATE(false, true);
  std::string alg = rsa ? "RS256" : "ES256";
  INFO(alg);
  auto keys = make_key_pair(rsa);
  std::string base = "/tmp/roomctl-test-key-" + std::to_string(getpid());
  std::ofstream(base + ".pem") << keys.private_pem;
  std::ofstream(base + ".pub") << keys.public_pem;
  ServerProcess server({"auth.mode=token", "auth.public_key_file=" + base + ".pub"});
  std::string token, out;
  REQUIRE(run_command({ROOMCTL_BINARY, "token", "--user", "alice", "--ttl", "10m", "--alg", alg,
                       "--private-key", base + ".pem"},
                      token) == 0);
  token.erase(token.find_last_not_of("\n") + 1);
  auto alice = connect_path(server.port(), "/?token=" + token);
  alice->send(app_opened("alice"));
  CHECK(alice->recv_until(of_type("users_online")));
  // Alg confusion: HS256 "signed" with the public key, which anyone may have.
  REQUIRE(run_command({ROOMCTL_BINARY, "token", "--user", "bob", "--secret", keys.public_pem},
                      token) == 0);
  token.erase(token.find_last_not_of("\n") + 1);
  RawSocket s(server.port());
  CHECK(raw_upgrade(s, "/?token=" + token).rfind("HTTP/1.1 401", 0) == 0);
  unlink((base + ".pem").c_str());
  unlink((base + ".pub").c_str());
}
