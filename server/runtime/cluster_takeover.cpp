// ClusterNode's failover side: the rooms of a node whose lease expired are claimed by the live
// nodes (each room's claim is one Lua script with one winner, after the registry's grace) and
// restored from their snapshots; messages that arrived for such a room meanwhile are held and
// then handled by the new owner. And the write fence: a snapshot write the registry refuses means
// another node owns the room now, so it stops here at once.
#include "server/cluster/node_lease.hpp"
#include "server/cluster/room_registry.hpp"
#include "server/metrics/cluster_metrics.hpp"
#include "server/protocol/replies.hpp"
#include "server/runtime/cluster_node.hpp"
#include "server/runtime/room_service.hpp"
#include "server/util/log.hpp"

namespace roomctl::runtime {

using cluster::Outcome;

namespace {
constexpr Millis kForgetDeadAfterMs = 60'000;
}  // namespace

std::optional<std::int64_t> ClusterNode::epoch_of(const std::string& room) const {
  std::lock_guard lock(bus_mutex_);
  auto it = owned_.find(room);
  if (it == owned_.end()) return std::nullopt;
  return it->second.epoch;
}

void ClusterNode::write_refused(const std::string& room) {
  {
    std::lock_guard lock(bus_mutex_);
    owned_.erase(room);
  }
  metrics_->writes_refused.inc();
  log::warn("cluster_room_fenced", {{"room", room}, {"action", "stopped here; members reconnect"}});
  rooms_.abandon(room);
}

void ClusterNode::write_missing(const std::string& room) {
  Owned owned;
  {
    std::lock_guard lock(bus_mutex_);
    auto it = owned_.find(room);
    if (it == owned_.end()) return;
    owned = it->second;
  }
  jobs_.post_internal([this, room, owned] {
    try {
      auto r = registry_->reassert(room, owned.epoch, owned.game);
      if (r.outcome == Outcome::stale) return write_refused(room);
    } catch (const std::exception&) {
      return;  // Redis away again: the writer retries, and we with it
    }
    rooms_.flush_room(room, /*force=*/true);
  });
}

void ClusterNode::sweep_dead_nodes(const std::vector<std::string>& dead) {
  for (const auto& node : dead) {
    if (node == options_.node_id) continue;
    {
      std::lock_guard lock(bus_mutex_);
      if (!sweeping_.insert(node).second) continue;
    }
    if (!jobs_.post_internal([this, node] { sweep_node(node); })) {
      std::lock_guard lock(bus_mutex_);
      sweeping_.erase(node);
    }
  }
}

void ClusterNode::sweep_node(const std::string& node) {
  std::vector<std::string> rooms;
  Millis dead_since = 0;
  {
    std::lock_guard lock(bus_mutex_);
    auto [it, first] = dead_since_.try_emplace(node, mono_now_ms());
    dead_since = it->second;
  }
  try {
    rooms = registry_->rooms_of(node);
    // Nothing left: the node leaves the list, after a minute in which operators see it dead.
    if (rooms.empty() && mono_now_ms() - dead_since >= kForgetDeadAfterMs && nodes_->forget(node)) {
      std::lock_guard lock(bus_mutex_);
      dead_since_.erase(node);
    }
  } catch (const std::exception&) {
  }
  for (const auto& room : rooms) take_over(room);
  std::lock_guard lock(bus_mutex_);
  sweeping_.erase(node);
}

void ClusterNode::take_over(const std::string& room) {
  std::optional<cluster::RoomOwner> owner;
  cluster::OwnerRecord claim;
  try {
    owner = registry_->lookup(room);
    if (!owner || owner->node.empty() || owner->node == options_.node_id || owner->node_alive) {
      if (owner && owner->node_alive && owner->node != options_.node_id) {
        std::lock_guard lock(bus_mutex_);
        owners_[room] = owner->node;
      }
      return release_held(room);
    }
    // Our own lease held without a gap for two lease times: Redis was up all along, so the
    // owner's missing lease means it died (not an outage that took every lease): no grace.
    bool stable = lease_stable_since_.load() != 0 &&
                  mono_now_ms() - lease_stable_since_.load() >= 2 * options_.lease_ttl_ms;
    auto mode = cluster::RoomRegistry::ClaimMode::takeover;
    claim = registry_->claim(room, owner->game, mode, stable ? 0 : -1);
    if (stable && claim.outcome == Outcome::suspect)  // the first claim only wrote the note
      claim = registry_->claim(room, owner->game, mode, 0);
  } catch (const std::exception&) {
    return;  // Redis away: the next sweep tries again
  }
  if (claim.outcome == Outcome::suspect) return;  // within the grace: the next sweep
  if (claim.outcome != Outcome::claimed) return release_held(room);
  {
    std::lock_guard lock(bus_mutex_);
    own_locked(room, {claim.epoch, owner->game});
    owners_.erase(room);
  }
  std::optional<store::StoredRoom> stored;
  try {
    stored = load_room_(room);
  } catch (const std::exception&) {
  }
  if (!stored) {
    // Never saved (or Redis failed us): nothing to run; the room is released.
    log::warn("cluster_takeover_without_snapshot", {{"room", room}, {"from", owner->node}});
    {
      std::lock_guard lock(bus_mutex_);
      owned_.erase(room);
    }
    try {
      registry_->release(room, claim.epoch);
    } catch (const std::exception&) {
    }
    return release_held(room);
  }
  bool adopted = rooms_.adopt(*stored);
  metrics_->rooms_taken_over.inc();
  log::info("cluster_room_taken_over", {{"room", room},
                                        {"from", owner->node},
                                        {"epoch", std::to_string(claim.epoch)},
                                        {"restored", adopted ? "true" : "quarantined"}});
  release_held(room);
}

void ClusterNode::release_held(const std::string& room) {
  std::vector<Held> held;
  std::string node;
  bool handed_over = false;
  {
    std::lock_guard lock(bus_mutex_);
    auto it = held_.find(room);
    if (it == held_.end()) return;
    held = std::move(it->second);
    held_.erase(it);
    if (auto m = moved_.find(room); m != moved_.end()) {
      node = m->second.node;  // the room may still be stopping here: it is the new owner's
      handed_over = true;
    } else if (auto o = owners_.find(room); o != owners_.end()) {
      node = o->second;
    }
  }
  bool here = !handed_over && rooms_.has_room(room);
  for (auto& h : held) {
    if (here)
      handle_here(h.client, h.raw);
    else if (!node.empty())
      queue_input(node, room, h.client.user, h.raw, gateway_of(h.client));
    else
      for (const auto& reply : h.not_found) h.client.send(protocol::frame(reply));
  }
}

}  // namespace roomctl::runtime
