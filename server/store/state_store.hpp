// Everything that must survive a restart, behind one interface: room snapshots (game state with
// absolute timer deadlines, members), each room's stroke stream (skribble's stroke log, one row
// per entry, written incrementally) and the direct-message offline queues.
// Implementations: sqlite (embedded default), redis (clusters), memory (tests, no durability).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/store/dm_store.hpp"
#include "server/util/stream_changes.hpp"

namespace roomctl::store {

struct StoredRoom {
  std::string id;
  std::string game;      // "spy" or "skribble"
  std::string snapshot;  // the game's JSON snapshot
  // load_rooms(): the room's stroke stream, in seq order (empty when it has none).
  std::vector<StreamRow> strokes;
};

struct StrokeWrite {
  std::string room_id;
  StreamChanges changes;
};

// A batch of room writes, applied atomically where the store can (one SQLite transaction, one
// Redis MULTI/EXEC): a snapshot and the stroke changes taken with it land together or not at all.
// A room appears at most once in `erase` and then in neither of the others; erasing a room drops
// its snapshot and its stroke stream.
struct RoomBatch {
  std::vector<StoredRoom> put;  // `strokes` ignored
  std::vector<std::string> erase;
  std::vector<StrokeWrite> strokes;
};

class StateStore : public DmStore {
 public:
  // Throws std::runtime_error when the batch could not be written (the caller retries).
  virtual void write_rooms(const RoomBatch& batch) = 0;
  virtual std::vector<StoredRoom> load_rooms() = 0;
  // Why the store cannot take writes right now ("" when it can): Redis unreachable, the SQLite
  // file removed. May do I/O (a Redis PING): never call it on an event loop.
  virtual std::string health_problem() = 0;
  bool healthy() { return health_problem().empty(); }
  // Increases whenever the store behind this object was replaced by an empty or different one
  // (Redis restarted without its data, failed over to a server without it): everything the
  // server holds in memory must then be written again.
  virtual std::uint64_t generation() const { return 0; }
  // DM pushes acknowledged although no replica confirmed them in time (a Redis Sentinel group's
  // master with its replicas gone or lagging); always 0 for stores without replicas.
  virtual std::uint64_t unreplicated_pushes() const { return 0; }
  virtual std::string describe() const = 0;
};

// Opens the store named by a URL: memory://, sqlite://PATH (sqlite:///abs/path or
// sqlite://relative.db), redis://HOST:PORT[/DB][?prefix=P]. Throws std::runtime_error.
std::unique_ptr<StateStore> open_store(const std::string& url);

}  // namespace roomctl::store
