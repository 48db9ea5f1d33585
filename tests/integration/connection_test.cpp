// The connection layer against the real binary: hello, health, bad input, identity, limits,
// reconnect takeover and graceful shutdown.
#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/raw_socket.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

TEST_CASE("GET / answers ORIG's hello and the admin port serves health", "[connection]") {
  ServerProcess server;
  auto hello = http_get(server.port(), "/");
  CHECK(hello.status == 200);
  CHECK(hello.body == "\"hello from word spy websocket server\"");
  CHECK(http_get(server.admin_port(), "/healthz").status == 200);
  CHECK(http_get(server.admin_port(), "/readyz").status == 200);
  auto metrics = http_get(server.admin_port(), "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("roomctl_connections ") != std::string::npos);
  // Every game's series exist at 0 from the start (registered from the game catalogue).
  CHECK(
      metrics.body.find(R"(roomctl_games_finished_total{game="skribble",outcome="abandoned"} 0)") !=
      std::string::npos);
  CHECK(http_get(server.admin_port(), "/nope").status == 404);
}

TEST_CASE("bad input gets an error with a code and the connection stays", "[connection]") {
  ServerProcess server;
  auto c = connect_client(server.port());
  struct Case {
    const char* input;
    const char* code;
  };
  Case cases[] = {
      {"{not json", "bad_json"},
      {"[1,2,3]", "not_object"},
      {"42", "not_object"},
      {R"({"EventFrom":"App"})", "missing_type"},
      {R"({"EventFrom":"App","type":7})", "bad_type"},
      {R"({"EventFrom":"App","type":"app_opened","userId":{"x":1}})", "bad_field"},
      {R"({"EventFrom":"Nope","type":"x"})", "unknown_event_from"},
      {R"({"EventFrom":"App","type":"no_such_type","userId":"u1"})", "unknown_type"},
      {R"({"type":"hello"})", "missing_event_from"},
      {R"({"EventFrom":"AppChatMessaging","type":"chat","userId":"u1","receiverID":5})",
       "bad_field"},
  };
  for (const auto& tc : cases) {
    INFO(tc.input);
    c->send(tc.input);
    auto reply = c->recv_until(of_type("error"));
    REQUIRE(reply);
    CHECK(str(J(*reply), "code") == tc.code);
    CHECK_FALSE(str(J(*reply), "message").empty());
  }
  // Still usable after all of that.
  c->send(R"({"EventFrom":"App","type":"app_opened","userId":"u1"})");
  CHECK(c->recv_until(of_type("users_online")));
  CHECK(c->is_open());
  CHECK(server.metric(R"(roomctl_client_errors_total{code="bad_json"})") == 1);
}

TEST_CASE("a binary frame is refused with an error and close code 1003", "[connection]") {
  ServerProcess server;
  auto c = connect_client(server.port());
  c->send_binary(std::string("\x01\x02\x03", 3));
  auto reply = c->recv_until(of_type("error"));
  REQUIRE(reply);
  CHECK(str(J(*reply), "code") == "binary_frame");
  CHECK(c->wait_closed() == std::optional<std::uint16_t>(1003));
}

TEST_CASE("an oversized message closes the connection with 1009", "[connection][limits]") {
  ServerProcess server({"limits.max_message_bytes=1KiB"});
  auto c = connect_client(server.port());
  c->send(R"({"EventFrom":"App","type":"x","pad":")" + std::string(4000, 'a') + "\"}");
  CHECK(c->wait_closed() == std::optional<std::uint16_t>(1009));
  // Counted when the server's read fails, which may be just after the client saw the close.
  CHECK(eventually(
      [&] { return server.metric(R"(roomctl_refusals_total{limit="message_size"})") == 1; }));
}

TEST_CASE("the message rate limit answers rate_limited, then closes a flooder with 1008",
          "[connection][limits]") {
  ServerProcess server({"limits.messages_per_second=1", "limits.message_burst=3"});
  auto c = connect_client(server.port());
  for (int i = 0; i < 4; ++i) c->send(R"({"type":"pong"})");
  auto reply = c->recv_until(of_type("error"));
  REQUIRE(reply);
  CHECK(str(J(*reply), "code") == "rate_limited");
  for (int i = 0; i < 10; ++i) c->send(R"({"type":"pong"})");
  CHECK(c->wait_closed() == std::optional<std::uint16_t>(1008));
  CHECK(server.metric(R"(roomctl_refusals_total{limit="message_rate"})") >= 4);
}

TEST_CASE("max connections: the connection over the limit is closed with 1013",
          "[connection][limits]") {
  ServerProcess server({"limits.max_connections=2"});
  auto a = connect_client(server.port());
  auto b = connect_client(server.port());
  std::this_thread::sleep_for(100ms);
  auto c = connect_client(server.port());
  CHECK(c->wait_closed() == std::optional<std::uint16_t>(1013));
  CHECK(a->is_open());
  CHECK(server.metric(R"(roomctl_refusals_total{limit="max_connections"})") == 1);
}

TEST_CASE("a connection cannot speak for another user (user_mismatch)", "[connection][identity]") {
  ServerProcess server;
  auto alice = connect_user(server.port(), "alice");
  // Friend requests carry the speaker in senderUserId: spoofing it is refused. (A new userId
  // switches the connection instead, see spy_app_test.cpp.)
  alice->send(
      R"({"EventFrom":"Friend","type":"request","senderUserId":"bob","receiverUserId":"carol","senderName":"B"})");
  auto reply = alice->recv_until(of_type("error"));
  REQUIRE(reply);
  CHECK(str(J(*reply), "code") == "user_mismatch");
}

TEST_CASE("the same userId on a new socket takes over and the old socket gets 4001",
          "[connection][identity]") {
  ServerProcess server;
  auto first = connect_user(server.port(), "alice");
  auto second = connect_user(server.port(), "alice");
  CHECK(first->wait_closed() == std::optional<std::uint16_t>(4001));
  CHECK(second->is_open());
  // Counted once the close handshake is over, which may be just after the client saw it.
  CHECK(eventually([&] {
    return server.metric(R"(roomctl_connections_closed_total{reason="replaced"})") == 1;
  }));
}

TEST_CASE("the server sends ORIG's {\"type\":\"ping\"} periodically", "[connection]") {
  ServerProcess server({"server.app_ping_interval=200ms"});
  auto c = connect_client(server.port());
  CHECK(c->recv_until(of_type("ping"), 3s));
}

TEST_CASE("a slow reader is closed as a slow consumer (4002)", "[connection][limits]") {
  // Room in the DM queue for what the slow reader misses: the sender gets no refusals to read.
  ServerProcess server(
      tiny_send_queue({"dm.max_queue_messages=100000", "dm.max_queue_bytes=64MiB"}));
  auto slow = connect_user(server.port(), "slow");
  slow->pause_reading();
  auto sender = connect_user(server.port(), "sender");
  flood_dms(*sender, "sender", "slow", 3000, 2000);
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    closed = server.metric("roomctl_slow_consumer_closes_total") >= 1;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(closed);
  CHECK(sender->is_open());
}

TEST_CASE("SIGTERM: readyz turns 503, clients get 1012, exit code 0", "[connection][shutdown]") {
  ServerProcess server({"server.handshake_timeout=2s"});
  auto normal = connect_user(server.port(), "alice");
  // A peer that never reads cannot answer the close handshake: it keeps the server shutting
  // down (for server.handshake_timeout), so readyz can be seen saying 503.
  RawSocket stuck(server.port());
  REQUIRE(stuck.upgrade());
  stuck.write(RawSocket::text_frame(R"({"EventFrom":"App","type":"app_opened","userId":"bob"})"));
  REQUIRE(eventually([&] { return server.metric("roomctl_users_online") == 2; }));
  server.signal(SIGTERM);
  // At once, before the connections are gone (a slow machine may take the whole close).
  bool saw_503 = false;
  for (int i = 0; i < 50 && !saw_503; ++i) {
    saw_503 = http_get(server.admin_port(), "/readyz").status == 503;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(saw_503);
  CHECK(normal->wait_closed() == std::optional<std::uint16_t>(1012));
  CHECK(server.wait() == 0);
  CHECK(server.log().find("shutdown_started") != std::string::npos);
}

TEST_CASE("upgrade: the first subprotocol a client offers is selected, as the original server did",
          "[connection]") {
  ServerProcess server;
  auto upgrade = [&](const std::string& headers) {
    RawSocket s(server.port());
    s.write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        headers + "\r\n");
    return s.read_some(2000);
  };
  auto offered = upgrade("Sec-WebSocket-Protocol: spy-v1, chat\r\n");
  CHECK(offered.rfind("HTTP/1.1 101", 0) == 0);
  CHECK(offered.find("Sec-WebSocket-Protocol: spy-v1\r\n") != std::string::npos);
  CHECK(offered.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);  // RFC 6455 example
  auto none = upgrade("");
  CHECK(none.rfind("HTTP/1.1 101", 0) == 0);
  CHECK(none.find("Sec-WebSocket-Protocol") == std::string::npos);
}
