// User directory, presence coalescing and the DM store, with fake outboxes.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/runtime/presence.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/store/memory_dm_store.hpp"
#include "tests/unit/fake_outbox.hpp"

using namespace roomctl;
using roomctl::test::FakeOutbox;

TEST_CASE("directory: bind, takeover, unbind by stale connection, grace expiry", "[runtime]") {
  runtime::UserDirectory d;
  auto a1 = std::make_shared<FakeOutbox>(1);
  auto a2 = std::make_shared<FakeOutbox>(2);
  auto r = d.bind("alice", a1);
  CHECK_FALSE(r.reconnect);
  d.add_room("alice", "room1");
  r = d.bind("alice", a2);
  CHECK(r.reconnect);
  CHECK(r.replaced == a1);
  std::vector<std::string> rooms;
  CHECK_FALSE(d.unbind("alice", 1, 100, rooms));  // the old socket closing changes nothing
  CHECK(d.online("alice"));
  CHECK(d.unbind("alice", 2, 100, rooms));
  CHECK(rooms == std::vector<std::string>{"room1"});
  CHECK_FALSE(d.online("alice"));
  CHECK(d.expire(100 + 999, 1000).empty());
  // Reconnect within grace keeps rooms and status.
  d.set_status("alice", games::UserStatus::in_game);
  r = d.bind("alice", std::make_shared<FakeOutbox>(3));
  CHECK(r.rooms == std::vector<std::string>{"room1"});
  CHECK(r.status == games::UserStatus::in_game);
  CHECK(d.unbind("alice", 3, 200, rooms));
  auto expired = d.expire(1200, 1000);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].user == "alice");
  CHECK_FALSE(d.known("alice"));
}

TEST_CASE("presence coalesces a burst into one frame per recipient", "[runtime][presence]") {
  metrics::Registry reg;
  metrics::ServerMetrics m(reg);
  runtime::UserDirectory d;
  runtime::Presence p(d, m, false);
  std::vector<std::shared_ptr<FakeOutbox>> boxes;
  auto old = std::make_shared<FakeOutbox>(100);
  d.bind("old", old);
  p.bound("old", false);
  p.flush();
  old->sent.clear();
  for (int i = 0; i < 50; ++i) {
    boxes.push_back(std::make_shared<FakeOutbox>(i));
    d.bind("u" + std::to_string(i), boxes.back());
    p.bound("u" + std::to_string(i), false);
  }
  p.flush();
  REQUIRE(old->sent.size() == 1);  // one users_online with all 50 newcomers
  CHECK(old->sent[0].find("\"u49\"") != std::string::npos);
  for (auto& b : boxes) CHECK(b->sent.size() == 1);  // one full list each
  CHECK(boxes[0]->sent[0].find("\"old\"") != std::string::npos);

  // Status flapping collapses to the latest value.
  d.set_status("u1", games::UserStatus::in_room);
  p.status_changed("u1");
  d.set_status("u1", games::UserStatus::in_game);
  p.status_changed("u1");
  old->sent.clear();
  p.flush();
  REQUIRE(old->sent.size() == 1);
  CHECK(old->sent[0].find("InGame") != std::string::npos);
  CHECK(boxes[1]->sent.size() == 1);  // the subject gets nothing new

  // Going offline: one user_offline to the others.
  std::vector<std::string> rooms;
  d.unbind("u2", 2, 0, rooms);
  p.went_offline("u2");
  old->sent.clear();
  p.flush();
  REQUIRE(old->sent.size() == 1);
  CHECK(old->sent[0].find("user_offline") != std::string::npos);
}

TEST_CASE("memory DM store: order, ack up to a sequence, expiry", "[store]") {
  store::MemoryDmStore s;
  s.push("bob", "1", 0, 1000, {});
  s.push("bob", "2", 10, 1000, {});
  s.push("bob", "3", 20, 1000, {});
  auto q = s.pending("bob", 30);
  REQUIRE(q.size() == 3);
  CHECK(q[0].payload == "1");
  CHECK(q[2].payload == "3");
  s.ack("bob", q[1].seq);
  q = s.pending("bob", 30);
  REQUIRE(q.size() == 1);
  CHECK(q[0].payload == "3");
  CHECK(s.size() == 1);
  CHECK(s.pending("bob", 20 + 1000).empty());  // expired (refreshed at the last push)
  CHECK(s.purge_expired(5000) == 1);
  CHECK(s.size() == 0);
}

TEST_CASE("presence caps a newcomer's full list at full_list_max", "[runtime][presence]") {
  metrics::Registry reg;
  metrics::ServerMetrics m(reg);
  runtime::UserDirectory d;
  runtime::Presence p(d, m, false, {.full_list_max = 10});
  std::vector<std::shared_ptr<FakeOutbox>> boxes;
  for (int i = 0; i < 30; ++i) {
    boxes.push_back(std::make_shared<FakeOutbox>(i));
    d.bind("u" + std::to_string(i), boxes.back());
  }
  p.flush();  // nothing pending yet
  auto late = std::make_shared<FakeOutbox>(99);
  d.bind("late", late);
  p.bound("late", false);
  p.flush();
  REQUIRE(late->sent.size() == 1);
  auto list = boost::json::parse(late->sent[0]).as_object().at("users").as_array();
  CHECK(list.size() == 10);
  REQUIRE(boxes[0]->sent.size() == 1);  // the others still hear about the newcomer
  CHECK(boxes[0]->sent[0].find("\"late\"") != std::string::npos);
}

TEST_CASE("presence folds a burst of status changes and departures into single frames",
          "[runtime][presence]") {
  metrics::Registry reg;
  metrics::ServerMetrics m(reg);
  runtime::UserDirectory d;
  runtime::Presence p(d, m, false, {.batch_threshold = 3});
  std::vector<std::shared_ptr<FakeOutbox>> boxes;
  for (int i = 0; i < 10; ++i) {
    boxes.push_back(std::make_shared<FakeOutbox>(i));
    d.bind("u" + std::to_string(i), boxes.back());
  }
  for (int i = 1; i < 6; ++i) {  // 5 changes > threshold 3
    d.set_status("u" + std::to_string(i), games::UserStatus::in_room);
    p.status_changed("u" + std::to_string(i));
  }
  p.flush();
  REQUIRE(boxes[0]->sent.size() == 1);
  auto o = boost::json::parse(boxes[0]->sent[0]).as_object();
  CHECK(o.at("type") == "users_online");
  CHECK(o.at("users").as_array().size() == 5);
  std::vector<std::string> rooms;
  for (int i = 5; i < 10; ++i) {
    d.unbind("u" + std::to_string(i), static_cast<std::uint64_t>(i), 0, rooms);
    p.went_offline("u" + std::to_string(i));
  }
  boxes[0]->sent.clear();
  p.flush();
  REQUIRE(boxes[0]->sent.size() == 1);
  auto off = boost::json::parse(boxes[0]->sent[0]).as_object();
  CHECK(off.at("type") == "users_offline");
  CHECK(off.at("users").as_array().size() == 5);
}
