// Presence, direct messages (online, offline queue, app_opened order), friends and invites,
// against the real binary with real WebSocket clients.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

namespace {
std::vector<std::string> user_ids(const boost::json::object& users_online) {
  std::vector<std::string> ids;
  for (const auto& u : users_online.at("users").as_array())
    ids.emplace_back(u.as_object().at("userId").as_string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

TEST_CASE("presence: users_online, user_status_change-free join and user_offline", "[presence]") {
  ServerProcess server({"presence.flush_interval=20ms"});
  auto alice = connect_client(server.port());
  alice->send(R"({"EventFrom":"App","type":"app_opened","userId":"alice"})");
  auto own = alice->recv_until(of_type("users_online"));
  REQUIRE(own);
  CHECK(user_ids(J(*own)) == std::vector<std::string>{"alice"});

  auto bob = connect_client(server.port());
  bob->send(R"({"EventFrom":"App","type":"app_opened","userId":"bob"})");
  auto bobs_list = bob->recv_until(of_type("users_online"));
  REQUIRE(bobs_list);
  CHECK(user_ids(J(*bobs_list)) == std::vector<std::string>{"alice", "bob"});
  auto announced = alice->recv_until(of_type("users_online"));
  REQUIRE(announced);
  auto entry = J(*announced).at("users").as_array().at(0).as_object();
  CHECK(str(entry, "userId") == "bob");
  CHECK(str(entry, "status") == "Idle");

  bob->close();
  auto offline = alice->recv_until(of_type("user_offline"));
  REQUIRE(offline);
  CHECK(str(J(*offline), "userId") == "bob");
}

TEST_CASE("presence with immediate flush (flush_interval 0) behaves like ORIG", "[presence]") {
  ServerProcess server({"presence.flush_interval=0ms"});
  auto alice = connect_user(server.port(), "alice");
  auto bob = connect_user(server.port(), "bob");
  auto announced = alice->recv_until(of_type("users_online"));
  REQUIRE(announced);
  CHECK(user_ids(J(*announced)) == std::vector<std::string>{"bob"});
}

TEST_CASE("a direct message to an online user is forwarded verbatim", "[dm]") {
  ServerProcess server;
  auto alice = connect_user(server.port(), "alice");
  auto bob = connect_user(server.port(), "bob");
  std::string msg = dm_text("alice", "bob", "hi bob");
  alice->send(msg);
  auto got =
      bob->recv_until([](const std::string& m) { return m.find("hi bob") != std::string::npos; });
  REQUIRE(got);
  CHECK(*got == msg);
}

TEST_CASE("direct messages to an offline user are queued and delivered in order on app_opened",
          "[dm]") {
  ServerProcess server;
  auto alice = connect_user(server.port(), "alice");
  for (int i = 1; i <= 5; ++i) alice->send(dm_text("alice", "carol", "m" + std::to_string(i)));
  // Wait until all five are queued.
  for (int i = 0; i < 100 && server.metric("roomctl_dm_queued_total") < 5; ++i)
    std::this_thread::sleep_for(20ms);
  REQUIRE(server.metric("roomctl_dm_queued_total") == 5);

  auto carol = connect_client(server.port());
  carol->send(R"({"EventFrom":"App","type":"app_opened","userId":"carol"})");
  for (int i = 1; i <= 5; ++i) {
    auto m = carol->recv_until(of_type("queued_message"));
    REQUIRE(m);
    auto o = J(*m);
    CHECK(str(o, "text") == "m" + std::to_string(i));
    CHECK(str(o, "userId") == "alice");
  }
  // Delivered and acknowledged: a second app_opened delivers nothing.
  for (int i = 0; i < 100 && server.metric("roomctl_dm_delivered_total") < 5; ++i)
    std::this_thread::sleep_for(20ms);
  CHECK(server.metric("roomctl_dm_delivered_total") == 5);
  carol->send(R"({"EventFrom":"App","type":"app_opened","userId":"carol"})");
  CHECK_FALSE(carol->recv_until(of_type("queued_message"), 300ms));
}

TEST_CASE("friend request and accept are relayed with ORIG's field names", "[friends]") {
  ServerProcess server;
  auto alice = connect_user(server.port(), "alice");
  auto bob = connect_user(server.port(), "bob");
  alice->send(
      R"({"EventFrom":"Friend","type":"request","senderUserId":"alice","receiverUserId":"bob","senderName":"Alice"})");
  auto req = bob->recv_until(of_type("friend_request"));
  REQUIRE(req);
  auto r = J(*req);
  CHECK(str(r, "senderUserId") == "alice");
  CHECK(str(r, "reciverUserId") == "bob");
  CHECK(str(r, "senderName") == "Alice");

  bob->send(
      R"({"EventFrom":"Friend","type":"accept","reciverUserId":"bob","senderUserId":"alice"})");
  auto acc = alice->recv_until(of_type("friend_accept"));
  REQUIRE(acc);
  CHECK(str(J(*acc), "reciverUserId") == "bob");
  CHECK(str(J(*acc), "senderUserId") == "alice");
}

TEST_CASE("invite_friend is relayed as is, or answered friend_not_found", "[friends]") {
  ServerProcess server;
  auto alice = connect_user(server.port(), "alice");
  auto bob = connect_user(server.port(), "bob");
  std::string invite =
      R"({"EventFrom":"SpyGame","type":"invite_friend","userId":"alice","FriendUserId":"bob","roomId":"r1"})";
  alice->send(invite);
  auto got = bob->recv_until(of_type("invite_friend"));
  REQUIRE(got);
  CHECK(*got == invite);

  alice->send(
      R"({"EventFrom":"SkribbleGame","type":"invite_friend","userId":"alice","FriendUserId":"nobody"})");
  CHECK(alice->recv_until(of_type("friend_not_found")));
}

TEST_CASE("promtool check metrics is clean on a live /metrics", "[metrics]") {
  ServerProcess server;
  auto alice = connect_user(server.port(), "alice");
  alice->send("{bad");
  alice->recv_until(of_type("error"));
  std::string body = server.metrics();
  REQUIRE_FALSE(body.empty());
  char path[] = "/tmp/roomctl-metrics-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()));
  close(fd);
  std::string out;
  int rc = run_command({"sh", "-c", std::string("promtool check metrics < ") + path}, out);
  unlink(path);
  INFO(out);
  CHECK(rc == 0);
}
