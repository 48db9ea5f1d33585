// Room registry and joinable indexes.
#include "server/runtime/room_registry.hpp"

namespace roomctl::runtime {

void RoomRegistry::Index::add(const std::string& id) {
  if (pos.count(id)) return;
  pos[id] = ids.size();
  ids.push_back(id);
}

void RoomRegistry::Index::erase(const std::string& id) {
  auto it = pos.find(id);
  if (it == pos.end()) return;
  std::size_t i = it->second;
  pos.erase(it);
  if (i + 1 != ids.size()) {  // move the last id into the hole
    ids[i] = std::move(ids.back());
    pos[ids[i]] = i;
  }
  ids.pop_back();
}

bool RoomRegistry::insert(const std::string& id, std::shared_ptr<Room> room) {
  std::lock_guard lock(mutex_);
  return rooms_.try_emplace(id, std::move(room)).second;
}

std::shared_ptr<Room> RoomRegistry::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(id);
  return it == rooms_.end() ? nullptr : it->second;
}

void RoomRegistry::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  rooms_.erase(id);
  if (auto k = joinable_key_.find(id); k != joinable_key_.end()) {
    joinable_[k->second].erase(id);
    joinable_key_.erase(k);
  }
}

void RoomRegistry::set_joinable(const std::string& id, const std::string& index_key,
                                bool joinable) {
  std::lock_guard lock(mutex_);
  if (joinable) {
    if (!rooms_.count(id)) return;  // removed meanwhile
    joinable_[index_key].add(id);
    joinable_key_[id] = index_key;
  } else if (auto k = joinable_key_.find(id); k != joinable_key_.end()) {
    joinable_[k->second].erase(id);
    joinable_key_.erase(k);
  }
}

std::optional<std::pair<std::string, std::size_t>> RoomRegistry::pick_joinable(
    const std::vector<std::string_view>& index_keys) {
  std::lock_guard lock(mutex_);
  std::vector<const Index*> indexes;
  std::size_t total = 0;
  for (auto key : index_keys) {
    auto it = joinable_.find(std::string(key));
    indexes.push_back(it == joinable_.end() ? nullptr : &it->second);
    if (indexes.back()) total += indexes.back()->ids.size();
  }
  if (total == 0) return std::nullopt;
  std::size_t pick = rng_.below(static_cast<std::uint32_t>(total));
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    if (!indexes[i]) continue;
    if (pick < indexes[i]->ids.size()) return std::make_pair(indexes[i]->ids[pick], i);
    pick -= indexes[i]->ids.size();
  }
  return std::nullopt;
}

std::vector<std::shared_ptr<Room>> RoomRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Room>> out;
  out.reserve(rooms_.size());
  for (const auto& [id, r] : rooms_) out.push_back(r);
  return out;
}

std::size_t RoomRegistry::size() const {
  std::lock_guard lock(mutex_);
  return rooms_.size();
}

}  // namespace roomctl::runtime
