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
                   std::size_t full_list_max, std::size_t batch_threshold,
                   std::size_t max_changes_per_flush)
    : directory_(directory),
      metrics_(metrics),
      immediate_(immediate),
      full_list_max_(full_list_max),
      batch_threshold_(batch_threshold),
      max_changes_per_flush_(std::max<std::size_t>(1, max_changes_per_flush)) {}

Presence::Pending& Presence::pending(const std::string& user, bool was_online) {
  return pending_.try_emplace(user, Pending{was_online, false, false}).first->second;
}

void Presence::bound(const std::string& user, bool was_online) {
  {
    std::lock_guard lock(mutex_);
    pending(user, was_online).bound = true;
  }
  after_event();
}

void Presence::status_changed(const std::string& user) {
  {
    std::lock_guard lock(mutex_);
    pending(user, true).status = true;
  }
  after_event();
}

void Presence::went_offline(const std::string& user) {
  {
    std::lock_guard lock(mutex_);
    pending(user, true);
  }
  after_event();
}

void Presence::after_event() {
  if (immediate_) flush();
}

void Presence::flush() {
  std::unordered_map<std::string, Pending> batch;
  {
    std::lock_guard lock(mutex_);
    if (pending_.empty()) return;
    if (pending_.size() <= max_changes_per_flush_) {
      batch.swap(pending_);
    } else {
      // Identity churn (thousands of users bound and dropped) must not turn into megabytes per
      // flush for every online user: at most max_changes_per_flush users per flush, the rest
      // wait for the next one, where they coalesce with whatever they did meanwhile.
      while (batch.size() < max_changes_per_flush_) {
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

  // Up to batch_threshold changes go out as ORIG's one-per-user messages; a larger burst folds
  // into one frame, so a flush costs O(online users), never O(online users x changes).
  std::vector<std::pair<std::string, Frame>> singles;  // (subject, frame), not sent to the subject
  if (changed.size() > batch_threshold_) {
    for (const auto& [user, status] : changed) arrived.push_back(user_entry(user, status));
  } else {
    for (const auto& [user, status] : changed)
      singles.emplace_back(
          user, protocol::frame(boost::json::object{{"type", "user_status_change"},
                                                    {"userId", user},
                                                    {"status", games::status_name(status)}}));
  }
  Frame gone_frame;
  if (gone.size() > batch_threshold_) {
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
      if (full_list_max_ == 0 || all.size() < full_list_max_) all.push_back(user_entry(u, s));
    });
    full_list =
        protocol::frame(boost::json::object{{"type", "users_online"}, {"users", std::move(all)}});
  }

  double frames = 0;
  directory_.for_each_online([&](const std::string& u, UserStatus, Outbox& out) {
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
}

}  // namespace roomctl::runtime
