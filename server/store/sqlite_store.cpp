// SQLite store implementation.
#include "server/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace roomctl::store {

namespace {
// Migration i brings the schema from version i to i + 1. Append; never edit a shipped one.
const char* const kMigrations[] = {
    R"(CREATE TABLE rooms (
         id TEXT PRIMARY KEY,
         game TEXT NOT NULL,
         snapshot TEXT NOT NULL,
         updated_at INTEGER NOT NULL);
       CREATE TABLE dm_queue (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         receiver TEXT NOT NULL,
         payload TEXT NOT NULL,
         expires_at INTEGER NOT NULL);
       CREATE INDEX dm_queue_receiver ON dm_queue (receiver, seq);
       CREATE INDEX dm_queue_expiry ON dm_queue (expires_at);)",
};

// Resets a statement on scope exit so that it never holds a read transaction open.
struct Reset {
  sqlite3_stmt* s;
  ~Reset() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
}  // namespace

int SqliteStore::schema_version() {
  return static_cast<int>(std::size(kMigrations));
}

SqliteStore::SqliteStore(const std::string& path, bool full_sync) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    fail("open");
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec(full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  migrate();
  push_ = prepare("INSERT INTO dm_queue (receiver, payload, expires_at) VALUES (?1, ?2, ?3)");
  refresh_ = prepare("UPDATE dm_queue SET expires_at = ?2 WHERE receiver = ?1");
  pending_ = prepare(
      "SELECT seq, payload FROM dm_queue WHERE receiver = ?1 AND expires_at > ?2 ORDER BY seq");
  ack_ = prepare("DELETE FROM dm_queue WHERE receiver = ?1 AND seq <= ?2");
  purge_ = prepare("DELETE FROM dm_queue WHERE expires_at <= ?1");
  count_ = prepare("SELECT COUNT(*) FROM dm_queue");
  put_room_ = prepare(
      "INSERT INTO rooms (id, game, snapshot, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(id) DO UPDATE SET game = excluded.game, snapshot = excluded.snapshot, "
      "updated_at = excluded.updated_at");
  del_room_ = prepare("DELETE FROM rooms WHERE id = ?1");
  load_rooms_ = prepare("SELECT id, game, snapshot FROM rooms");
}

SqliteStore::~SqliteStore() {
  for (auto* s :
       {push_, refresh_, pending_, ack_, purge_, count_, put_room_, del_room_, load_rooms_})
    sqlite3_finalize(s);
  sqlite3_close(db_);
}

void SqliteStore::fail(const char* what) {
  std::string msg = std::string("sqlite ") + what + " (" + path_ +
                    "): " + (db_ ? sqlite3_errmsg(db_) : "no database");
  throw std::runtime_error(msg);
}

void SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error("sqlite (" + path_ + "): " + msg);
  }
}

sqlite3_stmt* SqliteStore::prepare(const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    fail("prepare");
  return s;
}

void SqliteStore::migrate() {
  sqlite3_stmt* s = prepare("PRAGMA user_version");
  int version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
  sqlite3_finalize(s);
  if (version > schema_version())
    throw std::runtime_error("sqlite (" + path_ + "): schema version " + std::to_string(version) +
                             " is newer than this roomctl (" + std::to_string(schema_version()) +
                             ")");
  for (int v = version; v < schema_version(); ++v) {
    exec("BEGIN IMMEDIATE");
    try {
      exec(kMigrations[v]);
      exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
      exec("COMMIT");
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
  }
}

void SqliteStore::push(const std::string& receiver, const std::string& payload, Millis now,
                       Millis ttl) {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE");
  try {
    {
      Reset r{push_};
      bind_text(push_, 1, receiver);
      bind_text(push_, 2, payload);
      sqlite3_bind_int64(push_, 3, now + ttl);
      if (sqlite3_step(push_) != SQLITE_DONE) fail("push");
    }
    {
      Reset r{refresh_};  // ORIG: EXPIRE refreshes the whole queue on every push
      bind_text(refresh_, 1, receiver);
      sqlite3_bind_int64(refresh_, 2, now + ttl);
      if (sqlite3_step(refresh_) != SQLITE_DONE) fail("refresh");
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

std::vector<QueuedMessage> SqliteStore::pending(const std::string& receiver, Millis now) {
  std::lock_guard lock(mutex_);
  Reset r{pending_};
  bind_text(pending_, 1, receiver);
  sqlite3_bind_int64(pending_, 2, now);
  std::vector<QueuedMessage> out;
  while (sqlite3_step(pending_) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(pending_, 0),
                   std::string(reinterpret_cast<const char*>(sqlite3_column_text(pending_, 1)),
                               static_cast<std::size_t>(sqlite3_column_bytes(pending_, 1)))});
  }
  return out;
}

void SqliteStore::ack(const std::string& receiver, std::int64_t up_to_seq) {
  std::lock_guard lock(mutex_);
  Reset r{ack_};
  bind_text(ack_, 1, receiver);
  sqlite3_bind_int64(ack_, 2, up_to_seq);
  if (sqlite3_step(ack_) != SQLITE_DONE) fail("ack");
}

std::size_t SqliteStore::purge_expired(Millis now) {
  std::lock_guard lock(mutex_);
  Reset r{purge_};
  sqlite3_bind_int64(purge_, 1, now);
  if (sqlite3_step(purge_) != SQLITE_DONE) fail("purge");
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::size_t SqliteStore::size() {
  std::lock_guard lock(mutex_);
  Reset r{count_};
  return sqlite3_step(count_) == SQLITE_ROW
             ? static_cast<std::size_t>(sqlite3_column_int64(count_, 0))
             : 0;
}

void SqliteStore::write_rooms(const RoomBatch& batch) {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE");
  try {
    Millis now = wall_now_ms();
    for (const auto& room : batch.put) {
      Reset r{put_room_};
      bind_text(put_room_, 1, room.id);
      bind_text(put_room_, 2, room.game);
      bind_text(put_room_, 3, room.snapshot);
      sqlite3_bind_int64(put_room_, 4, now);
      if (sqlite3_step(put_room_) != SQLITE_DONE) fail("put room");
    }
    for (const auto& id : batch.erase) {
      Reset r{del_room_};
      bind_text(del_room_, 1, id);
      if (sqlite3_step(del_room_) != SQLITE_DONE) fail("delete room");
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

std::vector<StoredRoom> SqliteStore::load_rooms() {
  std::lock_guard lock(mutex_);
  Reset r{load_rooms_};
  std::vector<StoredRoom> out;
  auto text = [&](int col) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(load_rooms_, col)),
                       static_cast<std::size_t>(sqlite3_column_bytes(load_rooms_, col)));
  };
  while (sqlite3_step(load_rooms_) == SQLITE_ROW) out.push_back({text(0), text(1), text(2)});
  return out;
}

}  // namespace roomctl::store
