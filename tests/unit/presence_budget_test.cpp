// Presence under presence.frames_per_second: per-user messages fold when they would cost more
// than one interval's share, flushes are deferred by what the previous one queued, and every
// client still ends up knowing who is online with which status. Real UserDirectory, fake outboxes,
// a simulated clock.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <map>

#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/runtime/presence.hpp"
#include "server/runtime/user_directory.hpp"
#include "tests/unit/fake_outbox.hpp"

using namespace roomctl;
using games::UserStatus;
using roomctl::test::FakeOutbox;

namespace {
struct Crowd {
  metrics::Registry reg;
  metrics::ServerMetrics m{reg};
  runtime::UserDirectory d;
  std::vector<std::shared_ptr<FakeOutbox>> boxes;

  std::string name(std::size_t i) const { return "u" + std::to_string(i); }
  // n users bound and announced, their sent frames cleared.
  void bind(runtime::Presence& p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      boxes.push_back(std::make_shared<FakeOutbox>(i));
      d.bind(name(i), boxes.back());
      p.bound(name(i), false);
    }
    p.flush();
    clear();
  }
  void clear() {
    for (auto& b : boxes) b->sent.clear();
  }
  void set(runtime::Presence& p, std::size_t i, UserStatus s) {
    d.set_status(name(i), s);
    p.status_changed(name(i));
  }
  std::size_t total() const {
    std::size_t n = 0;
    for (const auto& b : boxes) n += b->sent.size();
    return n;
  }
};

boost::json::object parse(const std::string& frame) {
  return boost::json::parse(frame).as_object();
}

// What a client believes after applying every presence frame it received, as ORIG's app does.
void apply(std::map<std::string, std::string>& view, const std::string& frame) {
  auto o = parse(frame);
  std::string type(o.at("type").as_string());
  if (type == "users_online") {
    for (const auto& e : o.at("users").as_array())
      view[std::string(e.at("userId").as_string())] = std::string(e.at("status").as_string());
  } else if (type == "user_status_change") {
    view[std::string(o.at("userId").as_string())] = std::string(o.at("status").as_string());
  } else if (type == "user_offline") {
    view.erase(std::string(o.at("userId").as_string()));
  } else if (type == "users_offline") {
    for (const auto& u : o.at("users").as_array()) view.erase(std::string(u.as_string()));
  }
}
}  // namespace

TEST_CASE("presence folds per-user messages that exceed one interval's share of the budget",
          "[runtime][presence]") {
  Crowd c;
  // 1,000 frames/s and 100 ms flushes: a flush's share is 100 frames.
  runtime::Presence p(c.d, c.m, false,
                      {.batch_threshold = 32, .frames_per_second = 1000, .flush_interval_ms = 100});
  c.bind(p, 100);

  c.set(p, 1, UserStatus::in_room);  // 1 message x 100 online fits the share: ORIG's message
  p.flush();
  REQUIRE(c.boxes[0]->sent.size() == 1);
  CHECK(parse(c.boxes[0]->sent[0]).at("type") == "user_status_change");
  CHECK(c.boxes[1]->sent.empty());  // not to its subject

  c.clear();
  for (std::size_t i = 2; i < 5; ++i) c.set(p, i, UserStatus::in_game);  // 3 x 100 > 100
  p.flush();
  for (const auto& b : c.boxes) REQUIRE(b->sent.size() == 1);  // one frame each, subjects too
  auto folded = parse(c.boxes[0]->sent[0]);
  CHECK(folded.at("type") == "users_online");
  CHECK(folded.at("users").as_array().size() == 3);
  CHECK(folded.at("users").as_array()[0].at("status") == "InGame");

  c.clear();
  std::vector<std::string> rooms;
  for (std::uint64_t i = 98; i < 100; ++i) {  // 2 departures x 98 online > 100
    c.d.unbind(c.name(i), i, 0, rooms);
    p.went_offline(c.name(i));
  }
  p.flush();
  REQUIRE(c.boxes[0]->sent.size() == 1);
  auto gone = parse(c.boxes[0]->sent[0]);
  CHECK(gone.at("type") == "users_offline");
  CHECK(gone.at("users").as_array().size() == 2);
}

TEST_CASE("presence defers the next flush by the frames the previous one queued",
          "[runtime][presence]") {
  Crowd c;
  runtime::Presence p(c.d, c.m, false, {.frames_per_second = 1000, .flush_interval_ms = 100});
  c.bind(p, 50);

  c.set(p, 1, UserStatus::in_room);
  p.tick(10'000);  // 49 frames: the next flush no sooner than 49 ms later
  CHECK(c.total() == 49);
  c.clear();
  c.set(p, 2, UserStatus::in_room);
  c.set(p, 2, UserStatus::in_game);
  p.tick(10'040);
  CHECK(c.total() == 0);  // still paced: the changes wait and coalesce
  p.tick(10'049);
  CHECK(c.total() == 49);  // one user_status_change with the latest status
  CHECK(parse(c.boxes[0]->sent[0]).at("status") == "InGame");
  c.clear();
  p.tick(10'100);  // nothing pending: nothing sent
  CHECK(c.total() == 0);
}

TEST_CASE("presence stays within its frame budget and every client ends up knowing the truth",
          "[runtime][presence]") {
  constexpr std::size_t kUsers = 200;
  constexpr Millis kSeconds = 10;
  std::size_t frames[2] = {0, 0};
  for (std::size_t fps : {std::size_t{0}, std::size_t{4000}}) {
    Crowd c;
    runtime::Presence p(
        c.d, c.m, false,
        {.batch_threshold = 32, .frames_per_second = fps, .flush_interval_ms = 100});
    std::vector<std::map<std::string, std::string>> views(kUsers);
    c.bind(p, 0);
    for (std::size_t i = 0; i < kUsers; ++i) {
      c.boxes.push_back(std::make_shared<FakeOutbox>(i));
      c.d.bind(c.name(i), c.boxes.back());
      p.bound(c.name(i), false);
    }
    // A lobby's pace: a status change every 10 ms, the flush timer every 100 ms.
    std::size_t sent = 0;
    for (Millis t = 0; t < kSeconds * 1000; t += 10) {
      std::size_t who = static_cast<std::size_t>(t / 10 * 7919) % kUsers;
      c.set(p, who, static_cast<UserStatus>((t / 10) % 3));
      if (t % 100 == 0) p.tick(t);
    }
    p.flush();  // what is still pending (shutdown does the same)
    for (std::size_t i = 0; i < kUsers; ++i) {
      for (const auto& f : c.boxes[i]->sent) apply(views[i], f);
      sent += c.boxes[i]->sent.size();
    }
    frames[fps == 0 ? 0 : 1] = sent;
    for (std::size_t i = 0; i < kUsers; ++i)
      for (std::size_t j = 0; j < kUsers; ++j) {
        if (i == j) continue;
        INFO("client " << i << " about " << j);
        REQUIRE(views[i].count(c.name(j)) == 1);
        CHECK(views[i][c.name(j)] == games::status_name(c.d.status(c.name(j))));
      }
    if (fps > 0) {
      // The budget over the run, plus the first flush (full lists) and the final one.
      CHECK(sent <= fps * kSeconds + 2 * kUsers);
    }
  }
  CHECK(frames[1] * 5 < frames[0]);  // unbounded, the same stream costs several times more
}
