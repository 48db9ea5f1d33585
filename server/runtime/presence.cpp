// Presence coalescing; see the header for what clients see.
#include "server/runtime/presence.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <unordered_set>

#include "server/metrics/server_metrics.hpp"
#include "server/protocol/replies.hpp"

namespace roomctl::runtime {
namespace {
boost::json::object user_entry(const std::string& user, UserStatus s) {
  return {{"userId", user}, {"status", games::status_name(s)}};
}
}  // namespace

Presence::Presence(UserDirectory& directory, metrics::ServerMetrics& metrics, bool immediate,
                   PresenceLimits limits)
    : directory_(directory), metrics_(metrics), immediate_(immediate), limits_(limits) {
  limits_.max_changes_per_flush = std::max<std::size_t>(1, limits_.max_changes_per_flush);
}

Presence::Pending& Presence::pending(const std::string& user, bool was_online) {
  return pending_.try_emplace(user, Pending{was_online, false, false}).first->second;
}

void Presence::bound(const std::string& user, bool was_online, Origin origin) {
  {
    std::lock_guard lock(mutex_);
    pending(user, was_online).bound = true;
  }
  after_event(Change::bound, user, origin);
}

void Presence::status_changed(const std::string& user, Origin origin) {
  {
    std::lock_guard lock(mutex_);
    pending(user, true).status = true;
  }
  after_event(Change::status, user, origin);
}

void Presence::went_offline(const std::string& user, Origin origin) {
  {
    std::lock_guard lock(mutex_);
    pending(user, true);
  }
  after_event(Change::offline, user, origin);
}

void Presence::after_event(Change change, const std::string& user, Origin origin) {
  if (origin == Origin::here && observer_) observer_(change, user);
  if (immediate_) flush();
}

void Presence::tick(Millis now) {
  {
    std::lock_guard lock(mutex_);
    if (now < next_flush_at_ || pending_.empty()) return;
  }
  std::size_t frames = flush();
  if (limits_.frames_per_second == 0) return;
  std::lock_guard lock(mutex_);
  next_flush_at_ = now + static_cast<Millis>(frames * 1000 / limits_.frames_per_second);
}

// One interval's share of the budget: n messages to every recipient must fit in it. Folded, the
// same changes cost one frame per recipient, so beyond the share folding is what bounds the cost.
bool Presence::separate(std::size_t messages, std::size_t recipients) const {
  if (messages > limits_.batch_threshold) return false;
  if (limits_.frames_per_second == 0 || immediate_) return true;
  std::size_t share = limits_.frames_per_second *
                      static_cast<std::size_t>(std::max<Millis>(1, limits_.flush_interval_ms)) /
                      1000;
  return messages * recipients <= share;
}

std::size_t Presence::flush() {
  std::unordered_map<std::string, Pending> batch;
  {
    std::lock_guard lock(mutex_);
    if (pending_.empty()) return 0;
    if (pending_.size() <= limits_.max_changes_per_flush) {
      batch.swap(pending_);
    } else {
      // Identity churn (thousands of users bound and dropped) must not turn into megabytes per
      // flush for every online user: at most max_changes_per_flush users per flush, the rest
      // wait for the next one, where they coalesce with whatever they did meanwhile.
      while (batch.size() < limits_.max_changes_per_flush) {
        auto node = pending_.extract(pending_.begin());
        batch.insert(std::move(node));
      }
      metrics_.refusals.with({"presence_flush"}).inc();
    }
  }

  // Decide from the directory's current truth, not from the event sequence.
  boost::json::array arrived;
  std::unordered_set<std::string> newcomers;
  std::vector<std::pair<std::string, UserStatus>> changed;
  std::vector<std::string> gone;
  for (const auto& [user, p] : batch) {
    bool online = directory_.online(user);
    UserStatus status = directory_.status(user);
    if (online && p.bound) {
      arrived.push_back(user_entry(user, status));
      newcomers.insert(user);
    } else if (!online && p.was_online) {
      gone.push_back(user);
    } else if (online && p.status) {
      changed.emplace_back(user, status);
    }
  }

  // Changes go out as ORIG's one-per-user messages while they are few (batch_threshold) and
  // cheap for the number online (the frame budget); beyond that they fold into one frame, so a
  // flush costs O(online users), never O(online users x changes).
  std::size_t recipients = directory_.online_count();
  std::vector<std::pair<std::string, Frame>> singles;  // (subject, frame), not sent to the subject
  if (!separate(changed.size(), recipients)) {
    for (const auto& [user, status] : changed) arrived.push_back(user_entry(user, status));
  } else {
    for (const auto& [user, status] : changed)
      singles.emplace_back(
          user, protocol::frame(boost::json::object{{"type", "user_status_change"},
                                                    {"userId", user},
                                                    {"status", games::status_name(status)}}));
  }
  Frame gone_frame;
  if (!gone.empty() && !separate(gone.size(), recipients)) {
    gone_frame = protocol::frame(boost::json::object{
        {"type", "users_offline"}, {"users", boost::json::array(gone.begin(), gone.end())}});
  } else {
    for (const auto& user : gone)
      singles.emplace_back(
          user, protocol::frame(boost::json::object{{"type", "user_offline"}, {"userId", user}}));
  }

  Frame arrived_frame, full_list;
  if (!arrived.empty())
    arrived_frame = protocol::frame(
        boost::json::object{{"type", "users_online"}, {"users", std::move(arrived)}});
  if (!newcomers.empty()) {
    boost::json::array all;
    directory_.for_each_online([&](const std::string& u, UserStatus s, Outbox&) {
      if (limits_.full_list_max == 0 || all.size() < limits_.full_list_max)
        all.push_back(user_entry(u, s));
    });
    full_list =
        protocol::frame(boost::json::object{{"type", "users_online"}, {"users", std::move(all)}});
  }

  double frames = 0;
  directory_.for_each_online([&](const std::string& u, UserStatus, Outbox& out) {
    if (out.remote()) return;  // its own node tells it
    bool is_new = newcomers.count(u) != 0;
    if (is_new) {
      out.send(full_list);
      ++frames;
    } else if (arrived_frame) {
      out.send(arrived_frame);
      ++frames;
    }
    if (gone_frame) {
      out.send(gone_frame);
      ++frames;
    }
    for (const auto& [subject, frame] : singles) {
      if (subject == u) continue;
      out.send(frame);
      ++frames;
    }
  });
  metrics_.presence_frames.inc(frames);
  metrics_.frames_queued.with({"presence"}).inc(frames);
  return static_cast<std::size_t>(frames);
}

}  // namespace roomctl::runtime
