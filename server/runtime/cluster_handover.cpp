// ClusterNode's hand-over (drain, rolling restart, scale-in): a node that is leaving gives each
// of its rooms to the least-loaded live nodes. Per room: its messages are held, its snapshot is
// written (the caller flushes and waits for the store), the registry moves it (epoch + 1, fenced
// on ours), the new owner is told to restore it, it stops here without a word, and the held
// messages go on to the new owner. Messages still arriving for it are forwarded there. A new
// owner that never got the `adopt` (the bus is at-most-once) adopts the room on its first message.
#include <algorithm>
#include <chrono>

#include "server/cluster/bus_batcher.hpp"
#include "server/cluster/room_registry.hpp"
#include "server/metrics/cluster_metrics.hpp"
#include "server/runtime/cluster_node.hpp"
#include "server/runtime/room_service.hpp"
#include "server/util/log.hpp"

namespace roomctl::runtime {

using cluster::Outcome;

bool ClusterNode::moving(const std::string& room) {
  std::lock_guard lock(bus_mutex_);
  // A room handed over from here may still be retiring: its messages go to its new owner.
  return moving_.count(room) != 0 || incoming_.count(room) != 0 || moved_.count(room) != 0;
}

// A node more loaded than the least loaded live node by more than this places new rooms there
// (load ratios, 0..1, refreshed four times a second from the leases).
constexpr double kPlacementMargin = 0.1;
// Registry checks for rooms that might have been handed to us unannounced, at once.
constexpr std::size_t kMaxUnannouncedChecks = 1000;

std::string ClusterNode::place_new_room() {
  std::lock_guard lock(bus_mutex_);
  auto mine = loads_.find(options_.node_id);
  if (mine == loads_.end()) return "";
  std::string best;
  double best_load = mine->second - kPlacementMargin;
  for (const auto& [node, load] : loads_)
    if (node != options_.node_id && load < best_load && reachable_locked(node)) {
      best = node;
      best_load = load;
    }
  return best;
}

void ClusterNode::forward_create(const Client& client, const std::string& node,
                                 const std::string& room, const Frame& raw) {
  std::lock_guard lock(bus_mutex_);
  unknown_.erase(room);  // a join that missed it a moment ago must not keep missing it
  owners_[room] = node;  // a not_owner answer corrects it if the claim fails there
  add_input_locked(node, room, client.user, raw, gateway_of(client));
}

std::size_t ClusterNode::pause_rooms() {
  std::lock_guard lock(bus_mutex_);
  paused_at_ = std::chrono::steady_clock::now();
  for (const auto& [room, owned] : owned_) moving_.insert(room);
  return moving_.size();
}

void ClusterNode::hand_over_paused(std::function<void(std::size_t, std::size_t)> done) {
  bool posted = jobs_.post_internal([this, done] {
    std::vector<std::pair<std::string, std::int64_t>> rooms;
    std::vector<std::pair<double, std::string>> targets;  // least loaded first
    std::chrono::steady_clock::time_point paused_at;
    {
      std::lock_guard lock(bus_mutex_);
      paused_at = paused_at_;
      for (const auto& room : moving_)
        if (auto it = owned_.find(room); it != owned_.end())
          rooms.emplace_back(room, it->second.epoch);
      for (const auto& node : alive_)
        if (node != options_.node_id && !unreachable_.count(node)) {
          auto load = loads_.find(node);
          targets.emplace_back(load == loads_.end() ? 0.0 : load->second, node);
        }
    }
    std::sort(targets.begin(), targets.end());
    std::size_t moved = 0, next = 0;
    for (const auto& [room, epoch] : rooms) {
      cluster::OwnerRecord r;
      std::string target;
      if (!targets.empty()) {
        // Round robin over the targets in load order: the least loaded get the first rooms.
        target = targets[next++ % targets.size()].second;
        try {
          r = registry_->hand_over(room, epoch, target);
        } catch (const std::exception& e) {
          log::warn("cluster_handover_failed", {{"room", room}, {"error", e.what()}});
        }
      }
      if (r.outcome != Outcome::moved) {
        // No live node to take it, or Redis away: it keeps running here.
        {
          std::lock_guard lock(bus_mutex_);
          moving_.erase(room);
        }
        rooms_.thaw(room);
        release_held(room);
        continue;
      }
      {
        std::lock_guard lock(bus_mutex_);
        owned_.erase(room);
        moving_.erase(room);
        owners_[room] = target;
        moved_[room] = {target, mono_now_ms()};
        batcher_->forget_room(room);
      }
      queue_control(target, "adopt", {{"room", room}});
      rooms_.retire(room);
      release_held(room);  // to the new owner, behind the adopt
      ++moved;
    }
    metrics_->rooms_handed_over.inc(static_cast<double>(moved));
    metrics_->handover_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - paused_at).count());
    log::info("cluster_handover_done",
              {{"moved", std::to_string(moved)}, {"kept", std::to_string(rooms.size() - moved)}});
    done(moved, rooms.size() - moved);
  });
  if (!posted) done(0, 0);
}

void ClusterNode::check_unannounced_locked(const std::string& room) {
  if (checking_.size() >= kMaxUnannouncedChecks || !checking_.insert(room).second) return;
  bool posted = jobs_.post([this, room] {
    bool ours = false;
    try {
      auto owner = registry_->lookup(room);
      ours = owner && owner->node == options_.node_id && !rooms_.has_room(room);
    } catch (const std::exception&) {
    }
    if (ours) adopt_unannounced(room);
    std::lock_guard lock(bus_mutex_);
    checking_.erase(room);
  });
  if (!posted) checking_.erase(room);
}

void ClusterNode::adopt_unannounced(const std::string& room) {
  log::warn("cluster_room_unannounced", {{"room", room}, {"action", "adopting"}});
  {
    std::lock_guard lock(bus_mutex_);
    incoming_.insert(room);  // its messages are held until it runs
  }
  adopt_handed(room);
}

void ClusterNode::adopt_handed(const std::string& room) {
  try {
    auto owner = registry_->lookup(room);
    if (owner && owner->node == options_.node_id && !rooms_.has_room(room)) {
      {
        std::lock_guard lock(bus_mutex_);
        own_locked(room, {owner->epoch, owner->game});
        owners_.erase(room);
      }
      if (auto stored = load_room_(room)) {
        rooms_.adopt(*stored);
        log::info("cluster_room_adopted",
                  {{"room", room}, {"epoch", std::to_string(owner->epoch)}});
      }
    }
  } catch (const std::exception& e) {
    log::warn("cluster_adopt_failed", {{"room", room}, {"error", e.what()}});
  }
  {
    std::lock_guard lock(bus_mutex_);
    incoming_.erase(room);
  }
  release_held(room);
}

}  // namespace roomctl::runtime
