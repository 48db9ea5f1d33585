// The Redis key names of the cluster, in one place, under the store's prefix (default "roomctl:").
// Room snapshots stay where the state store keeps them (room:<id> and the rooms set), so that
// store::RedisStore::load_rooms reads what a fenced cluster write wrote.
#pragma once

#include <string>

namespace roomctl::cluster {

struct ClusterKeys {
  std::string prefix = "roomctl:";

  std::string node(const std::string& id) const { return prefix + "node:" + id; }  // lease hash
  std::string nodes() const { return prefix + "nodes"; }  // zset: node id -> last refresh (ms)
  std::string suspect(const std::string& id) const { return prefix + "suspect:" + id; }
  std::string owner(const std::string& room) const { return prefix + "owner:" + room; }
  std::string node_rooms(const std::string& id) const { return prefix + "node_rooms:" + id; }
  std::string snapshot(const std::string& room) const { return prefix + "room:" + room; }
  std::string stored_rooms() const { return prefix + "rooms"; }
  std::string joinable(const std::string& game) const { return prefix + "joinable:" + game; }
  std::string seats(const std::string& room) const { return prefix + "seats:" + room; }
  std::string reservations(const std::string& game) const {
    return prefix + "reservations:" + game;
  }
  std::string user(const std::string& id) const { return prefix + "user:" + id; }
  std::string user_epoch() const { return prefix + "user_epoch"; }
  std::string inbox(const std::string& node_id) const { return prefix + "n:" + node_id; }
};

}  // namespace roomctl::cluster
