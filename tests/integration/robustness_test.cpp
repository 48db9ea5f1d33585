// What a hostile or broken client, or a full machine, must not be able to do to the server:
// crash it, make it hold memory without bound, spin, or lose track of who is online.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "server/util/process_stats.hpp"
#include "tests/integration/raw_socket.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

namespace {
bool alive(ServerProcess& server) {
  return server.wait(0ms) == -1 && http_get(server.admin_port(), "/healthz").status == 200;
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("messages for a missing room followed by a TCP reset never crash the server",
          "[robustness]") {
  // A read that completed before a failed write finished the session used to be handled with no
  // connection left to answer: a null dereference in the error reply.
  ServerProcess server;
  std::string frames;
  for (int i = 0; i < 2000; ++i)
    frames += RawSocket::text_frame(
        R"({"EventFrom":"SkribbleGame","type":"SKRIBBLE_STROKE","userId":"u)" +
        std::to_string(i % 7) + R"(","roomId":"nope","x":1})");
  for (int round = 0; round < 30; ++round) {
    std::vector<std::unique_ptr<RawSocket>> socks;
    for (int i = 0; i < 8; ++i) {
      auto s = std::make_unique<RawSocket>(server.port());
      REQUIRE(s->upgrade());
      socks.push_back(std::move(s));
    }
    for (auto& s : socks) s->write(frames);
    for (auto& s : socks) s->reset();
  }
  std::this_thread::sleep_for(300ms);
  REQUIRE(alive(server));
  // And it still serves players.
  auto c = connect_user(server.port(), "after");
  CHECK(c->is_open());
}

TEST_CASE("requests that never finish hold bounded memory and count against a limit",
          "[robustness][limits]") {
  ServerProcess server({"limits.max_pending_handshakes=200", "server.handshake_timeout=30s"});
  long before = rss_kb(server.pid());
  std::vector<std::unique_ptr<RawSocket>> stalled;
  std::string header(4000, 'a');
  for (int i = 0; i < 400; ++i) {
    auto s = std::make_unique<RawSocket>(server.port());
    // A request line and half a header: the server must wait for the rest.
    s->write("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + header);
    stalled.push_back(std::move(s));
  }
  CHECK(eventually([&] { return server.metric("roomctl_pending_handshakes") == 200; }));
  CHECK(eventually([&] {
    return server.metric(R"(roomctl_refusals_total{limit="pending_handshakes"})") >= 200;
  }));
  long after = rss_kb(server.pid());
  INFO("RSS before " << before << " kB, after " << after << " kB");
  CHECK(after - before < 40 * 1024);  // each parked request holds its few kB, not 1 MiB

  // A header larger than the limit is answered 431 at once.
  stalled.clear();
  CHECK(eventually([&] { return server.metric("roomctl_pending_handshakes") == 0; }));
  RawSocket big(server.port());
  big.write("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(20'000, 'b') + "\r\n\r\n");
  auto reply = big.read_some(3000);
  CHECK(reply.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(alive(server));
}

TEST_CASE("out of file descriptors: accept backs off, logs little, the admin API answers",
          "[robustness][limits]") {
  // No reserve: the public listener runs into EMFILE itself.
  ServerProcess server({"limits.fd_reserve=0", "server.handshake_timeout=30s"}, "",
                       {"prlimit", "--nofile=64:64", "--"});
  auto started = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 100; ++i) held.push_back(std::make_unique<RawSocket>(server.port()));
  std::this_thread::sleep_for(2s);
  // Without a reserve the admin listener starves too: read the figures once sockets are free.
  held.clear();
  // The listener recovers by itself.
  std::unique_ptr<WsClient> c;
  CHECK(eventually([&] {
    try {
      c = connect_user(server.port(), "back");
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }));
  auto elapsed =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  double errors = server.metric(R"(roomctl_accept_errors_total{reason="fd_limit"})");
  INFO(server.log());
  CHECK(errors >= 1);
  CHECK(errors < 100);  // backing off: a busy loop makes hundreds of thousands in 2 s
  // At most one line per listener per 10 s.
  CHECK(count(server.log(), "accept_failed") <= static_cast<std::size_t>(2 * (elapsed / 10 + 1)));
  CHECK(alive(server));
}

TEST_CASE("the open-files budget keeps a reserve: public sockets are refused before EMFILE",
          "[robustness][limits]") {
  ServerProcess server({"limits.fd_reserve=24", "server.handshake_timeout=30s"}, "",
                       {"prlimit", "--nofile=64:64", "--"});
  CHECK(server.log().find("fd_limit_below_connection_limit") != std::string::npos);
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 100; ++i) held.push_back(std::make_unique<RawSocket>(server.port()));
  CHECK(eventually(
      [&] { return server.metric(R"(roomctl_refusals_total{limit="fd_budget"})") >= 1; }));
  // The reserve is there for the operator: /readyz and /metrics keep answering.
  CHECK(http_get(server.admin_port(), "/readyz").status == 200);
  CHECK(server.metric(R"(roomctl_accept_errors_total{reason="fd_limit"})") <= 0);
}

TEST_CASE("a slow consumer is offline at once and sees its 4002 close when it reads again",
          "[robustness][limits]") {
  ServerProcess server(tiny_send_queue());
  auto slow = connect_user(server.port(), "slow");
  slow->pause_reading();
  auto sender = connect_user(server.port(), "sender");
  flood_dms(*sender, "sender", "slow", 3000, 2000);
  REQUIRE(eventually([&] { return server.metric("roomctl_slow_consumer_closes_total") >= 1; }));
  // Offline from the moment of the decision, not after a minute-long close handshake.
  CHECK(eventually(
      [&] {
        auto r = http_get(server.admin_port(), "/admin/users/slow");
        return r.body.find("\"online\":false") != std::string::npos;
      },
      2s));
  slow->resume_reading();
  CHECK(slow->wait_closed(10s) == std::optional<std::uint16_t>(4002));
}

TEST_CASE("all send queues together have a budget: the largest queues are shed first",
          "[robustness][limits]") {
  ServerProcess server({"limits.send_queue_total_bytes=1MiB", "limits.send_queue_max_bytes=64MiB",
                        "limits.send_queue_max_messages=1000000",
                        "limits.messages_per_second=100000", "limits.message_burst=100000",
                        "abuse.dms_per_user=0"});
  auto hog = connect_user(server.port(), "hog");
  hog->pause_reading();
  auto reader = connect_user(server.port(), "reader");
  auto sender = connect_user(server.port(), "sender");
  flood_dms(*sender, "sender", "hog", 2000, 4000);
  CHECK(eventually([&] { return server.metric("roomctl_send_queue_budget_sheds_total") >= 1; }));
  CHECK(eventually([&] { return server.metric("roomctl_send_queue_bytes") < 1024 * 1024; }));
  // A reader that keeps up is untouched.
  sender->send(dm_text("sender", "reader", "still here"));
  CHECK(reader->recv_until(
      [](const std::string& m) { return m.find("still here") != std::string::npos; }));
}

TEST_CASE("presence work per flush is bounded under identity churn", "[robustness][presence]") {
  ServerProcess server({"presence.max_changes_per_flush=10", "presence.flush_interval=200ms"});
  auto watcher = connect_user(server.port(), "watcher");
  std::vector<std::unique_ptr<roomctl::test::WsClient>> churn;
  for (int i = 0; i < 60; ++i) {
    auto c = connect_client(server.port());
    c->send(R"({"EventFrom":"App","type":"app_opened","userId":"churn)" + std::to_string(i) +
            "\"}");
    churn.push_back(std::move(c));
  }
  std::size_t announced = 0;
  for (int frames = 0; frames < 20 && announced < 60; ++frames) {
    auto m = watcher->recv_until(of_type("users_online"), 3s);
    REQUIRE(m);
    auto users = J(*m).at("users").as_array();
    CHECK(users.size() <= 10);
    announced += users.size();
  }
  CHECK(announced == 60);  // late, in bounded steps, but every one of them
}

TEST_CASE("presence folds a status change into users_online beyond the frame budget",
          "[robustness][presence]") {
  for (bool tight : {false, true}) {
    INFO("presence.frames_per_second " << (tight ? "20" : "default"));
    std::vector<std::string> settings{"presence.flush_interval=100ms"};
    if (tight) settings.push_back("presence.frames_per_second=20");  // a flush's share: 2 frames
    ServerProcess server(settings);
    auto watcher = connect_user(server.port(), "watcher");
    auto alice = connect_user(server.port(), "alice");
    auto bob = connect_user(server.port(), "bob");
    alice->send(R"({"EventFrom":"SpyGame","type":"CREATE_ROOM","userId":"alice","roomId":"r1",)"
                R"("name":"A"})");
    REQUIRE(alice->recv_until(of_type("create_room_response"), 3s));
    // One change x 3 online: ORIG's message within the budget, a users_online entry beyond it.
    auto m = watcher->recv_until(
        [](const std::string& f) {
          return f.find("\"alice\"") != std::string::npos && f.find("InRoom") != std::string::npos;
        },
        3s);
    REQUIRE(m);
    CHECK(str(J(*m), "type") == (tight ? "users_online" : "user_status_change"));
  }
}

// The attacks a review of the own WebSocket framing found (each crashed or grew the server
// before its fix).
TEST_CASE("a refused upgrade whose first bytes break the protocol never crashes the server",
          "[robustness][connection]") {
  ServerProcess server({"limits.max_connections=1"});
  RawSocket holder(server.port());
  REQUIRE(holder.upgrade());
  for (int i = 0; i < 5; ++i) {
    RawSocket s(server.port());
    // The upgrade and an unmasked frame in one write: the session refuses the connection (1013)
    // and meets the protocol error before it ever waits for input.
    s.write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
        std::string("\x81\x00", 2));
    CHECK(s.peer_closed(3000));  // the refused socket is gone within its short close deadline
  }
  std::this_thread::sleep_for(600ms);  // a few ticks of the shards' tickers
  CHECK(alive(server));
  CHECK(server.metric(R"(roomctl_refusals_total{limit="max_connections"})") == 5);
}

TEST_CASE("a ping flood from a peer that does not read holds bounded memory",
          "[robustness][connection]") {
  ServerProcess server;
  RawSocket s(server.port(), 4096);
  REQUIRE(s.upgrade());
  long before = rss_kb(server.pid());
  // 300,000 empty masked pings (6 bytes each): one pong per ping would queue ~30 MB.
  std::string pings;
  for (int i = 0; i < 10000; ++i) pings += std::string("\x89\x80\x01\x02\x03\x04", 6);
  for (int round = 0; round < 30 && s.write(pings); ++round) {
  }
  std::this_thread::sleep_for(300ms);
  long after = rss_kb(server.pid());
  CHECK(after - before < 8 * 1024);
  CHECK(server.metric("roomctl_send_queue_bytes") < 1024);
  CHECK(alive(server));
}

TEST_CASE("a close frame with a code no endpoint may send is answered 1002",
          "[robustness][connection]") {
  ServerProcess server;
  RawSocket s(server.port());
  REQUIRE(s.upgrade());
  // Masked close frame carrying 1006 (reserved: never on the wire).
  const unsigned char mask[4] = {1, 2, 3, 4};
  std::string f("\x88\x82", 2);
  f.append(reinterpret_cast<const char*>(mask), 4);
  f += static_cast<char>(0x03 ^ 1);
  f += static_cast<char>(0xEE ^ 2);
  s.write(f);
  std::string got;
  for (int i = 0; i < 20 && got.find("\x88") == std::string::npos; ++i) got += s.read_some(100);
  auto at = got.find("\x88");
  REQUIRE(at != std::string::npos);
  REQUIRE(got.size() >= at + 4);
  CHECK(static_cast<unsigned char>(got[at + 2]) == 0x03);
  CHECK(static_cast<unsigned char>(got[at + 3]) == 0xEA);  // 1002
}
