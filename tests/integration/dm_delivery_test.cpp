// The direct-message guarantee of docs/protocol.md under pressure: bounded queues with a clear
// refusal, long queues delivered in chunks that respect the send queue, nothing lost when the
// receiver's connection dies with messages in flight, and acknowledged delivery for clients that
// ask for it.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/raw_socket.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

namespace {
// Reads queued_message frames until none comes for `quiet`; returns their texts in order.
std::vector<std::string> drain_queued(roomctl::test::WsClient& c,
                                      std::chrono::milliseconds quiet = 1500ms) {
  std::vector<std::string> texts;
  while (auto m = c.recv_until(of_type("queued_message"), quiet))
    texts.push_back(str(J(*m), "text"));
  return texts;
}

void wait_queued(ServerProcess& server, double n) {
  REQUIRE(eventually([&] { return server.metric("roomctl_dm_queued_total") >= n; }, 10s));
}

// alice queues m1..m3 for an offline `to`, who then opens the app asking for acknowledgements.
std::unique_ptr<WsClient> three_queued_then_open(ServerProcess& server, const std::string& to) {
  auto alice = connect_user(server.port(), "alice");
  for (int i = 1; i <= 3; ++i) alice->send(dm_text("alice", to, "m" + std::to_string(i)));
  wait_queued(server, 3);
  auto c = connect_client(server.port());
  c->send(R"({"EventFrom":"App","type":"app_opened","userId":")" + to + R"(","ackQueued":true})");
  return c;
}
}  // namespace

TEST_CASE("a full DM queue refuses with dm_queue_full and keeps what it holds", "[dm][limits]") {
  ServerProcess server({"dm.max_queue_messages=5", "limits.messages_per_second=1000",
                        "limits.message_burst=1000", "abuse.dms_per_user=0"});
  auto alice = connect_user(server.port(), "alice");
  for (int i = 1; i <= 8; ++i) alice->send(dm_text("alice", "carol", "m" + std::to_string(i)));
  int refused = 0;
  while (auto e = alice->recv_until(of_type("error"), 2s)) {
    CHECK(str(J(*e), "code") == "dm_queue_full");
    ++refused;
  }
  CHECK(refused == 3);
  CHECK(server.metric(R"(roomctl_refusals_total{limit="dm_queue"})") == 3);
  auto carol = connect_client(server.port());
  carol->send(R"({"EventFrom":"App","type":"app_opened","userId":"carol"})");
  CHECK(drain_queued(*carol) == std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"});
}

TEST_CASE("a queue longer than the send queue is delivered in chunks, not as a slow-consumer close",
          "[dm][limits]") {
  // 600 queued messages against a send queue of 50 frames used to close the receiver on every
  // app_opened, so it never got them.
  ServerProcess server({"limits.send_queue_max_messages=50", "dm.delivery_chunk_messages=20",
                        "limits.messages_per_second=100000", "limits.message_burst=100000",
                        "abuse.dms_per_user=0"});
  auto alice = connect_user(server.port(), "alice");
  for (int i = 0; i < 600; ++i) alice->send(dm_text("alice", "carol", std::to_string(i)));
  wait_queued(server, 600);
  auto carol = connect_client(server.port());
  carol->send(R"({"EventFrom":"App","type":"app_opened","userId":"carol"})");
  auto texts = drain_queued(*carol);
  REQUIRE(texts.size() == 600);
  for (int i = 0; i < 600; ++i) CHECK(texts[static_cast<std::size_t>(i)] == std::to_string(i));
  CHECK(carol->is_open());
  CHECK(server.metric("roomctl_slow_consumer_closes_total") <= 0);
  CHECK(eventually([&] { return server.metric("roomctl_dm_delivered_total") == 600; }));
}

TEST_CASE("live DMs to a connection that closes before writing them go to the queue",
          "[dm][robustness]") {
  ServerProcess server(
      tiny_send_queue({"dm.max_queue_messages=100000", "dm.max_queue_bytes=64MiB"}));
  auto bob = connect_user(server.port(), "bob");
  bob->pause_reading();
  auto alice = connect_user(server.port(), "alice");
  std::string pad(2000, 'p');  // 3000 x 2 kB: more than the kernel's socket buffers take
  std::set<std::string> sent;
  for (int i = 0; i < 3000; ++i) {
    auto text = "n" + std::to_string(i) + pad;
    sent.insert(text);
    alice->send(dm_text("alice", "bob", text));
  }
  REQUIRE(eventually([&] { return server.metric("roomctl_slow_consumer_closes_total") >= 1; }));
  // Sent after the slow-consumer decision: bob is offline at once, these are queued too.
  for (int i = 3000; i < 3020; ++i) {
    auto text = "n" + std::to_string(i) + pad;
    sent.insert(text);
    alice->send(dm_text("alice", "bob", text));
  }
  // Whatever bob's socket took before the close, the rest is queued: nothing is lost.
  std::set<std::string> got;
  bob->resume_reading();
  while (auto m = bob->recv(2s)) {
    auto v = J(*m);
    if (str(v, "type") == "chat") got.insert(str(v, "text"));
  }
  REQUIRE(eventually([&] { return server.metric("roomctl_dm_requeued_total") >= 1; }));
  // Alice's last messages may still be on their way: open the app until the queue is empty.
  auto missing = [&] {
    std::size_t n = 0;
    for (const auto& t : sent) n += got.count(t) == 0;
    return n;
  };
  for (int attempt = 0; attempt < 10 && missing() > 0; ++attempt) {
    auto again = connect_client(server.port());
    again->send(R"({"EventFrom":"App","type":"app_opened","userId":"bob"})");
    while (auto m = again->recv(1000ms)) {  // queued ones, and live ones still on their way
      auto v = J(*m);
      if (str(v, "type") == "chat" || str(v, "type") == "queued_message")
        got.insert(str(v, "text"));
    }
  }
  INFO("requeued " << server.metric("roomctl_dm_requeued_total") << " queued "
                   << server.metric("roomctl_dm_queued_total") << " online "
                   << server.metric("roomctl_dm_sent_online_total") << " delivered "
                   << server.metric("roomctl_dm_delivered_total") << " got " << got.size());
  std::string which;
  for (int i = 0; i < 3020; ++i)
    if (!got.count("n" + std::to_string(i) + pad)) which += std::to_string(i) + " ";
  INFO("missing: " << which);
  std::string closes;
  std::istringstream in(server.metrics());
  for (std::string line; std::getline(in, line);)
    if (line.rfind("roomctl_connections_closed_total{", 0) == 0) closes += line + "; ";
  INFO(closes);
  CHECK(missing() == 0);
}

TEST_CASE("acknowledged delivery: nothing is deleted until the client says it has it",
          "[dm][protocol]") {
  ServerProcess server({"dm.delivery_chunk_messages=2"});
  // A client that takes frames and dies before acknowledging: everything comes again.
  {
    auto dave = three_queued_then_open(server, "dave");
    auto m = dave->recv_until(of_type("queued_message"));
    REQUIRE(m);
    CHECK(J(*m).at("queueSeq").is_int64());
    CHECK(dave->recv_until(of_type("queued_message")));
    // The next chunk waits for the acknowledgement.
    CHECK_FALSE(dave->recv_until(of_type("queued_message"), 500ms));
  }
  auto dave = connect_client(server.port());
  dave->send(R"({"EventFrom":"App","type":"app_opened","userId":"dave","ackQueued":true})");
  std::vector<std::string> texts;
  std::int64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto m = dave->recv_until(of_type("queued_message"), 2s);
    REQUIRE(m);
    auto o = J(*m);
    texts.push_back(str(o, "text"));
    last = o.at("queueSeq").as_int64();
    if (i == 1 || i == 2)
      dave->send(R"({"EventFrom":"App","type":"queued_ack","userId":"dave","upTo":)" +
                 std::to_string(last) + "}");
  }
  CHECK(texts == std::vector<std::string>{"m1", "m2", "m3"});
  CHECK(eventually([&] { return server.metric("roomctl_dm_delivered_total") == 3; }));
  // Acknowledged: a new session gets nothing.
  auto later = connect_client(server.port());
  later->send(R"({"EventFrom":"App","type":"app_opened","userId":"dave","ackQueued":true})");
  CHECK_FALSE(later->recv_until(of_type("queued_message"), 500ms));
}

TEST_CASE("an acknowledgement cannot delete more than the connection was sent", "[dm][protocol]") {
  ServerProcess server({"dm.delivery_chunk_messages=1"});
  {
    auto erin = three_queued_then_open(server, "erin");
    REQUIRE(erin->recv_until(of_type("queued_message")));
    // A claim far beyond what was sent acknowledges only the one message it had.
    erin->send(R"({"EventFrom":"App","type":"queued_ack","userId":"erin","upTo":999999999})");
    REQUIRE(erin->recv_until(of_type("queued_message")));  // the next chunk
  }
  CHECK(eventually([&] { return server.metric("roomctl_dm_delivered_total") == 1; }));
  auto erin = connect_client(server.port());
  erin->send(R"({"EventFrom":"App","type":"app_opened","userId":"erin"})");
  CHECK(drain_queued(*erin) == std::vector<std::string>{"m2", "m3"});
}

TEST_CASE("live DMs the receiver's TCP never acknowledged go to the queue when it dies",
          "[dm][robustness]") {
  // A frame in this server's kernel send buffer is not delivered: loopback lets megabytes sit
  // there. A receiver that stops reading and then resets used to lose all of them.
  ServerProcess server({"limits.messages_per_second=100000", "limits.message_burst=100000",
                        "abuse.dms_per_user=0", "limits.send_queue_max_bytes=256KiB",
                        "dm.max_queue_messages=100000", "dm.max_queue_bytes=64MiB"});
  auto receiver = std::make_unique<RawSocket>(server.port(), 4096);
  REQUIRE(receiver->upgrade());
  receiver->write(RawSocket::text_frame(R"({"EventFrom":"App","type":"app_opened","userId":"r"})"));
  REQUIRE(eventually([&] { return server.metric("roomctl_users_online") >= 1; }));
  auto alice = connect_user(server.port(), "alice");
  std::string pad(30'000, 'q');
  for (int i = 0; i < 300; ++i) {
    alice->send(dm_text("alice", "r", "n" + std::to_string(i) + pad));
    if (i == 150) receiver->reset();  // dies with whatever the kernels hold
  }
  std::set<std::string> got;
  auto missing = [&] {
    std::size_t n = 0;
    for (int i = 0; i < 300; ++i) n += got.count("n" + std::to_string(i) + pad) == 0;
    return n;
  };
  for (int attempt = 0; attempt < 10 && missing() > 0; ++attempt) {
    auto again = connect_client(server.port());
    again->send(R"({"EventFrom":"App","type":"app_opened","userId":"r"})");
    while (auto m = again->recv(1500ms)) {
      auto v = J(*m);
      if (str(v, "type") == "chat" || str(v, "type") == "queued_message")
        got.insert(str(v, "text"));
    }
  }
  INFO("requeued " << server.metric("roomctl_dm_requeued_total"));
  // A frame the receiver's kernel acknowledged but its process never read is the one loss a
  // server cannot see (docs/protocol.md); its 4 KiB receive buffer holds less than one of these.
  CHECK(missing() <= 1);
}
