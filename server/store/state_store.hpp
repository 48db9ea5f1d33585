// Everything that must survive a restart, behind one interface: room snapshots (game state with
// absolute timer deadlines, members, stroke log) and the direct-message offline queues.
// Implementations: sqlite (embedded default), redis (clusters), memory (tests, no durability).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/store/dm_store.hpp"

namespace roomctl::store {

struct StoredRoom {
  std::string id;
  std::string game;      // "spy" or "skribble"
  std::string snapshot;  // the game's JSON snapshot
};

// A batch of room writes, applied atomically where the store can (one SQLite transaction,
// one Redis pipeline).
struct RoomBatch {
  std::vector<StoredRoom> put;
  std::vector<std::string> erase;
};

class StateStore : public DmStore {
 public:
  // Throws std::runtime_error when the batch could not be written (the caller retries).
  virtual void write_rooms(const RoomBatch& batch) = 0;
  virtual std::vector<StoredRoom> load_rooms() = 0;
  // False while the backing service is unreachable.
  virtual bool healthy() = 0;
  virtual std::string describe() const = 0;
};

// Opens the store named by a URL: memory://, sqlite://PATH (sqlite:///abs/path or
// sqlite://relative.db), redis://HOST:PORT[/DB][?prefix=P]. Throws std::runtime_error.
std::unique_ptr<StateStore> open_store(const std::string& url);

}  // namespace roomctl::store
