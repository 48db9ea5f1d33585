// Embedded durable store: one SQLite file in WAL mode, one connection (one writer) behind a
// mutex, prepared statements, schema versioned by PRAGMA user_version with ordered migrations.
// synchronous=NORMAL: a committed transaction survives a process crash (kill -9); an OS crash or
// power loss may lose the last commits (set store.sqlite_synchronous=full to fsync every commit).
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

  void push(const std::string& receiver, const std::string& payload, Millis now,
            Millis ttl) override;
  std::vector<QueuedMessage> pending(const std::string& receiver, Millis now) override;
  void ack(const std::string& receiver, std::int64_t up_to_seq) override;
  std::size_t purge_expired(Millis now) override;
  std::size_t size() override;

  void write_rooms(const RoomBatch& batch) override;
  std::vector<StoredRoom> load_rooms() override;
  bool healthy() override { return true; }
  std::string describe() const override { return "sqlite://" + path_; }

  static int schema_version();

 private:
  void exec(const char* sql);
  void migrate();
  sqlite3_stmt* prepare(const char* sql);
  [[noreturn]] void fail(const char* what);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  sqlite3_stmt* push_ = nullptr;
  sqlite3_stmt* refresh_ = nullptr;
  sqlite3_stmt* pending_ = nullptr;
  sqlite3_stmt* ack_ = nullptr;
  sqlite3_stmt* purge_ = nullptr;
  sqlite3_stmt* count_ = nullptr;
  sqlite3_stmt* put_room_ = nullptr;
  sqlite3_stmt* del_room_ = nullptr;
  sqlite3_stmt* load_rooms_ = nullptr;
};

}  // namespace roomctl::store
