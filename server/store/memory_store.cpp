// In-memory room snapshots.
#include "server/store/memory_store.hpp"

namespace roomctl::store {

void MemoryStore::write_rooms(const RoomBatch& batch) {
  std::lock_guard lock(mutex_);
  for (const auto& r : batch.put) rooms_[r.id] = r;
  for (const auto& id : batch.erase) rooms_.erase(id);
}

std::vector<StoredRoom> MemoryStore::load_rooms() {
  std::lock_guard lock(mutex_);
  std::vector<StoredRoom> out;
  for (const auto& [id, r] : rooms_) out.push_back(r);
  return out;
}

}  // namespace roomctl::store
