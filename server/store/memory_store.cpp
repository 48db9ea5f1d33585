// In-memory room snapshots and stroke streams.
#include "server/store/memory_store.hpp"

namespace roomctl::store {

void MemoryStore::write_rooms(const RoomBatch& batch) {
  std::lock_guard lock(mutex_);
  for (const auto& r : batch.put) {
    auto& stored = rooms_[r.id];
    stored.id = r.id;
    stored.game = r.game;
    stored.snapshot = r.snapshot;
  }
  for (const auto& w : batch.strokes) w.changes.apply_to(rooms_[w.room_id].strokes);
  for (const auto& id : batch.erase) rooms_.erase(id);
}

std::vector<StoredRoom> MemoryStore::load_rooms() {
  std::lock_guard lock(mutex_);
  std::vector<StoredRoom> out;
  for (const auto& [id, r] : rooms_)
    if (!r.id.empty()) out.push_back(r);  // (a stream without a snapshot is not a room)
  return out;
}

}  // namespace roomctl::store
