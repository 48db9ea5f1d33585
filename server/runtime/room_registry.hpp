// All rooms of this node by id, plus one index of joinable rooms per game/mode for quick join.
// Every operation is O(1) under one mutex; the joinable index is a dense vector with a position
// map, so a uniformly random pick and a removal are both constant time.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/games/rng.hpp"

namespace roomctl::runtime {

class Room;

class RoomRegistry {
 public:
  // False when the id is taken (FIX: ORIG silently replaces the existing room).
  bool insert(const std::string& id, std::shared_ptr<Room> room);
  std::shared_ptr<Room> find(const std::string& id) const;
  void remove(const std::string& id);
  void set_joinable(const std::string& id, const std::string& index_key, bool joinable);
  // A room drawn uniformly from the union of the indexes, and which of them it came from.
  std::optional<std::pair<std::string, std::size_t>> pick_joinable(
      const std::vector<std::string_view>& index_keys);
  std::vector<std::shared_ptr<Room>> all() const;  // for the sweeper only
  std::size_t size() const;

 private:
  struct Index {
    std::vector<std::string> ids;
    std::unordered_map<std::string, std::size_t> pos;
    void add(const std::string& id);
    void erase(const std::string& id);
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Room>> rooms_;
  std::unordered_map<std::string, Index> joinable_;            // index key -> rooms
  std::unordered_map<std::string, std::string> joinable_key_;  // room id -> its index key
  games::Rng rng_{0x5eedULL};
};

}  // namespace roomctl::runtime
