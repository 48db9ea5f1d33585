// Embedded durable store: one SQLite file in WAL mode with exclusive locking (the WAL index lives
// in heap memory, no -shm mapping), one connection (one writer) behind a mutex, prepared
// statements, schema versioned by PRAGMA user_version with ordered migrations. Tables: rooms (one
// snapshot per room), strokes (each room's stroke stream: room_id, seq, data), dm_queue and
// dm_queues. synchronous=NORMAL: a committed transaction survives a process crash (kill -9); an
// OS crash or power loss may lose the last commits (set store.sqlite_synchronous=full to fsync
// every commit).
#pragma once

#include <mutex>
#include <string>

#include "server/store/state_store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace roomctl::store {

class SqliteStore : public StateStore {
 public:
  explicit SqliteStore(const std::string& path, bool full_sync = false);
  ~SqliteStore() override;

  PushResult push(const std::string& receiver, const std::string& payload, Millis now, Millis ttl,
                  const QueueLimits& limits) override;
  std::vector<QueuedMessage> pending(const std::string& receiver, Millis now,
                                     const QueueLimits& chunk = {}) override;
  void ack(const std::string& receiver, std::int64_t up_to_seq) override;
  std::size_t queued(const std::string& receiver, Millis now) override;
  std::size_t purge_expired(Millis now) override;
  std::size_t size() override;
  void write_rooms(const RoomBatch& batch) override;
  std::vector<StoredRoom> load_rooms() override;
  // The file removed or replaced under the running server, or the last write's error.
  std::string health_problem() override;
  std::string describe() const override { return "sqlite://" + path_; }
  static int schema_version();

 private:
  struct QueueRow {
    bool exists = false;
    std::int64_t messages = 0, bytes = 0, expires_at = 0;
  };
  void exec(const char* sql);
  void migrate();
  sqlite3_stmt* prepare(const char* sql);
  [[noreturn]] void fail(const char* what);
  QueueRow queue_row(const std::string& receiver);
  void check_file();
  void record_error(const std::string& error);
  // Runs fn in one write transaction; on failure rolls back (ignoring ROLLBACK's own error),
  // records the error for health_problem() and rethrows the original.
  template <typename Fn>
  auto write(const char* what, Fn&& fn);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::mutex error_mutex_;
  std::string last_error_;
  std::uint64_t file_dev_ = 0, file_ino_ = 0;
  sqlite3_stmt *queue_ = nullptr, *push_ = nullptr, *put_queue_ = nullptr, *drop_queue_ = nullptr;
  sqlite3_stmt *pending_ = nullptr, *acked_ = nullptr, *ack_ = nullptr, *shrink_queue_ = nullptr;
  sqlite3_stmt *drop_empty_queue_ = nullptr, *purge_ = nullptr, *purge_queues_ = nullptr;
  sqlite3_stmt *count_ = nullptr, *put_room_ = nullptr, *del_room_ = nullptr;
  sqlite3_stmt* load_rooms_ = nullptr;
  sqlite3_stmt *trim_strokes_ = nullptr, *add_stroke_ = nullptr, *del_strokes_ = nullptr;
  sqlite3_stmt* load_strokes_ = nullptr;
};

}  // namespace roomctl::store
