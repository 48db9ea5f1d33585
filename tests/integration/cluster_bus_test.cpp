// The bus over a real redis-server: a tick's frames for a node arrive as one message in its
// inbox, in sequence; a receiver that was away (Redis restarted) subscribes again, is told so,
// and sees the frames it missed as a gap.
#include <catch2/catch.hpp>
#include <mutex>

#include "server/cluster/bus_transport.hpp"
#include "server/cluster/gap_detector.hpp"
#include "tests/integration/redis_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl;
using namespace roomctl::cluster;
using namespace std::chrono_literals;
using roomctl::test::eventually;
using roomctl::test::RedisProcess;

namespace {
store::RedisEndpoint endpoint(const RedisProcess& redis) {
  return store::parse_redis_url(redis.url() + "?prefix=b:");
}

// What a gateway does with its inbox: decode, check sequences, count deliveries.
struct Inbox {
  std::mutex mutex;
  GapDetector gaps;
  std::vector<BusMessage> messages;
  std::size_t delivered = 0, gapped = 0, errors = 0;
  void on_message(std::string_view bytes) {
    std::lock_guard lock(mutex);
    try {
      auto m = decode(bytes);
      for (const auto& f : m.frames) {
        if (gaps.observe(f.room, f.epoch, f.seq).deliver())
          delivered += f.users.size();
        else
          ++gapped;
      }
      messages.push_back(std::move(m));
    } catch (const BusDecodeError&) {
      ++errors;
    }
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
};
}  // namespace

TEST_CASE("bus: one published message per destination node per tick, frames in sequence",
          "[cluster][redis]") {
  RedisProcess redis;
  Inbox b_inbox, c_inbox;
  BusSubscriber b(endpoint(redis), "b", [&](std::string_view m) { b_inbox.on_message(m); });
  BusSubscriber c(endpoint(redis), "c", [&](std::string_view m) { c_inbox.on_message(m); });
  REQUIRE(eventually([&] { return b.subscribed() && c.subscribed(); }));
  BusBatcher batcher("a");
  BusPublisher publisher(endpoint(redis));
  auto frame = std::make_shared<const std::string>(R"({"type":"drawing","x":3})");
  std::size_t published = 0;
  for (int tick = 0; tick < 5; ++tick) {
    for (int i = 0; i < 30; ++i) {
      batcher.add_frame("b", "room" + std::to_string(i % 3), 1, {"u1", "u2"}, frame);
      batcher.add_frame("c", "room" + std::to_string(i % 3), 1, {"u3"}, frame);
    }
    auto out = batcher.take();
    REQUIRE(out.size() == 2);
    auto receivers = publisher.publish(out);
    CHECK(receivers == std::vector<long long>{1, 1});
    published += out.size();
  }
  REQUIRE(eventually([&] { return b_inbox.count() == 5 && c_inbox.count() == 5; }));
  CHECK(published == 10);  // 300 frames (450 deliveries) in 10 bus messages
  std::unique_lock lock_b(b_inbox.mutex), lock_c(c_inbox.mutex);
  CHECK(b_inbox.delivered == 5 * 30 * 2);
  CHECK(c_inbox.delivered == 5 * 30);
  CHECK(b_inbox.gapped == 0);
  CHECK(c_inbox.gapped == 0);
  CHECK(b_inbox.errors == 0);
  CHECK(b_inbox.messages.back().from == "a");
  lock_b.unlock();
  lock_c.unlock();
  // Garbage published into an inbox is refused by the codec and the subscription goes on.
  redis.cli("PUBLISH b:n:b garbage");
  REQUIRE(eventually([&] { return b.received() == 6; }));
  lock_b.lock();
  CHECK(b_inbox.errors == 1);
  lock_b.unlock();
  CHECK(b.subscribed());
}

TEST_CASE("bus: Redis restarted, the subscriber is back and the lost frames show as a gap",
          "[cluster][redis]") {
  RedisProcess redis;
  Inbox inbox;
  std::atomic<int> subscribed{0};
  BusSubscriber b(
      endpoint(redis), "b", [&](std::string_view m) { inbox.on_message(m); },
      [&] { ++subscribed; });
  REQUIRE(eventually([&] { return subscribed.load() == 1; }));
  BusBatcher batcher("a");
  BusPublisher publisher(endpoint(redis));
  auto frame = std::make_shared<const std::string>("f");
  batcher.add_frame("b", "r", 7, {"u"}, frame);
  publisher.publish(batcher.take());
  REQUIRE(eventually([&] { return inbox.count() == 1; }));

  redis.stop();
  batcher.add_frame("b", "r", 7, {"u"}, frame);  // seq 2: lost with the outage
  CHECK_THROWS_AS(publisher.publish(batcher.take()), store::RedisError);
  redis.start();
  REQUIRE(eventually([&] { return subscribed.load() == 2; }, 10s));  // told: resync the rooms
  CHECK(b.subscriptions() == 2);
  batcher.add_frame("b", "r", 7, {"u"}, frame);  // seq 3
  REQUIRE(eventually(
      [&] {
        try {
          return publisher.publish(batcher.take()) == std::vector<long long>{1};
        } catch (const store::RedisError&) {
          batcher.add_frame("b", "r", 7, {"u"}, frame);  // still backing off: try the next tick
          return false;
        }
      },
      10s));
  REQUIRE(eventually([&] { return inbox.count() == 2; }));
  std::lock_guard lock(inbox.mutex);
  CHECK(inbox.gapped == 1);  // seq 2 never arrived
  CHECK(inbox.delivered == 1);
  b.stop();
  CHECK_FALSE(b.subscribed());
}
