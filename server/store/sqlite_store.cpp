// SQLite store implementation.
#include "server/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_map>

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
    // One row per receiver with the queue's length, size and expiry, so that a push touches one
    // row instead of rewriting the expiry of the whole queue.
    R"(CREATE TABLE dm_queues (
         receiver TEXT PRIMARY KEY,
         messages INTEGER NOT NULL,
         bytes INTEGER NOT NULL,
         expires_at INTEGER NOT NULL);
       INSERT INTO dm_queues
         SELECT receiver, COUNT(*), SUM(LENGTH(CAST(payload AS BLOB))), MAX(expires_at)
         FROM dm_queue GROUP BY receiver;
       CREATE INDEX dm_queues_expiry ON dm_queues (expires_at);
       DROP INDEX dm_queue_expiry;)",
    // Each room's stroke stream, one row per stroke log entry, clustered by room: a stroke is
    // one INSERT instead of a rewrite of a snapshot that embeds the whole log. Snapshots written
    // before keep their embedded log until the room's next write moves it here.
    R"(CREATE TABLE strokes (
         room_id TEXT NOT NULL,
         seq INTEGER NOT NULL,
         data BLOB NOT NULL,
         PRIMARY KEY (room_id, seq)) WITHOUT ROWID;)",
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
  // The server is the file's only user. Exclusive locking before the first WAL access keeps the
  // WAL index in heap memory instead of a memory-mapped -shm file: a write to that mapping on a
  // filesystem gone read-only (or a truncated -shm) is a SIGBUS that kills the process silently.
  exec("PRAGMA locking_mode=EXCLUSIVE");
  exec("PRAGMA journal_mode=WAL");
  exec(full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  migrate();
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    file_dev_ = st.st_dev;
    file_ino_ = st.st_ino;
  }
  queue_ = prepare("SELECT messages, bytes, expires_at FROM dm_queues WHERE receiver = ?1");
  push_ = prepare("INSERT INTO dm_queue (receiver, payload, expires_at) VALUES (?1, ?2, ?3)");
  put_queue_ = prepare(
      "INSERT INTO dm_queues (receiver, messages, bytes, expires_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(receiver) DO UPDATE SET messages = excluded.messages, bytes = excluded.bytes, "
      "expires_at = excluded.expires_at");
  drop_queue_ = prepare("DELETE FROM dm_queue WHERE receiver = ?1");
  pending_ = prepare("SELECT seq, payload FROM dm_queue WHERE receiver = ?1 ORDER BY seq LIMIT ?2");
  acked_ = prepare(
      "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(payload AS BLOB))), 0) FROM dm_queue "
      "WHERE receiver = ?1 AND seq <= ?2");
  ack_ = prepare("DELETE FROM dm_queue WHERE receiver = ?1 AND seq <= ?2");
  shrink_queue_ = prepare(
      "UPDATE dm_queues SET messages = messages - ?2, bytes = bytes - ?3 WHERE receiver = ?1");
  drop_empty_queue_ = prepare("DELETE FROM dm_queues WHERE receiver = ?1 AND messages <= 0");
  purge_ = prepare(
      "DELETE FROM dm_queue WHERE receiver IN (SELECT receiver FROM dm_queues WHERE expires_at <= "
      "?1)");
  purge_queues_ = prepare("DELETE FROM dm_queues WHERE expires_at <= ?1");
  count_ = prepare("SELECT COALESCE(SUM(messages), 0) FROM dm_queues");
  put_room_ = prepare(
      "INSERT INTO rooms (id, game, snapshot, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(id) DO UPDATE SET game = excluded.game, snapshot = excluded.snapshot, "
      "updated_at = excluded.updated_at");
  del_room_ = prepare("DELETE FROM rooms WHERE id = ?1");
  load_rooms_ = prepare("SELECT id, game, snapshot FROM rooms");
  trim_strokes_ = prepare("DELETE FROM strokes WHERE room_id = ?1 AND seq > ?2");
  add_stroke_ = prepare("INSERT INTO strokes (room_id, seq, data) VALUES (?1, ?2, ?3)");
  del_strokes_ = prepare("DELETE FROM strokes WHERE room_id = ?1");
  load_strokes_ = prepare("SELECT room_id, seq, data FROM strokes ORDER BY room_id, seq");
}

SqliteStore::~SqliteStore() {
  for (auto* s : {queue_, push_, put_queue_, drop_queue_, pending_, acked_, ack_, shrink_queue_,
                  drop_empty_queue_, purge_, purge_queues_, count_, put_room_, del_room_,
                  load_rooms_, trim_strokes_, add_stroke_, del_strokes_, load_strokes_})
    sqlite3_finalize(s);
  sqlite3_close(db_);
}

std::string SqliteStore::health_problem() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0)
    return "database file " + path_ + " is gone (" + std::strerror(errno) + ")";
  if (st.st_dev != file_dev_ || st.st_ino != file_ino_)
    return "database file " + path_ + " was replaced by another file";
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void SqliteStore::check_file() {
  // Writes into an unlinked file succeed and are lost at exit: refuse them so that the caller
  // keeps the data and retries, and readyz says why.
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || st.st_dev != file_dev_ || st.st_ino != file_ino_)
    throw std::runtime_error("sqlite (" + path_ + "): the database file is gone or replaced");
}

template <typename Fn>
auto SqliteStore::write(const char* what, Fn&& fn) {
  try {
    check_file();
    exec("BEGIN IMMEDIATE");
  } catch (const std::exception& e) {
    record_error(e.what());
    throw;
  }
  try {
    auto result = fn();
    exec("COMMIT");
    record_error("");
    return result;
  } catch (const std::exception& e) {
    // ROLLBACK can fail too (read-only filesystem); its error must not replace the real one.
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    record_error(std::string(what) + ": " + e.what());
    throw;
  }
}

void SqliteStore::record_error(const std::string& error) {
  std::lock_guard lock(error_mutex_);
  last_error_ = error;
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
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

SqliteStore::QueueRow SqliteStore::queue_row(const std::string& receiver) {
  Reset r{queue_};
  bind_text(queue_, 1, receiver);
  QueueRow row;
  if (sqlite3_step(queue_) == SQLITE_ROW) {
    row.exists = true;
    row.messages = sqlite3_column_int64(queue_, 0);
    row.bytes = sqlite3_column_int64(queue_, 1);
    row.expires_at = sqlite3_column_int64(queue_, 2);
  }
  return row;
}

PushResult SqliteStore::push(const std::string& receiver, const std::string& payload, Millis now,
                             Millis ttl, const QueueLimits& limits) {
  std::lock_guard lock(mutex_);
  return write("push", [&] {
    auto q = queue_row(receiver);
    if (q.exists && q.expires_at <= now) {  // an expired queue starts afresh
      Reset r{drop_queue_};
      bind_text(drop_queue_, 1, receiver);
      if (sqlite3_step(drop_queue_) != SQLITE_DONE) fail("expire queue");
      q = {};
    }
    auto size = static_cast<std::int64_t>(payload.size());
    if (static_cast<std::size_t>(q.messages) + 1 > limits.max_messages ||
        static_cast<std::size_t>(q.bytes + size) > limits.max_bytes)
      return PushResult::full;
    {
      Reset r{push_};
      bind_text(push_, 1, receiver);
      bind_text(push_, 2, payload);
      sqlite3_bind_int64(push_, 3, now + ttl);
      if (sqlite3_step(push_) != SQLITE_DONE) fail("push");
    }
    Reset r{put_queue_};  // ORIG refreshes the queue's expiry on every push: one row here
    bind_text(put_queue_, 1, receiver);
    sqlite3_bind_int64(put_queue_, 2, q.messages + 1);
    sqlite3_bind_int64(put_queue_, 3, q.bytes + size);
    sqlite3_bind_int64(put_queue_, 4, now + ttl);
    if (sqlite3_step(put_queue_) != SQLITE_DONE) fail("push");
    return PushResult::queued;
  });
}

std::vector<QueuedMessage> SqliteStore::pending(const std::string& receiver, Millis now,
                                                const QueueLimits& chunk) {
  std::lock_guard lock(mutex_);
  auto q = queue_row(receiver);
  if (!q.exists || q.expires_at <= now) return {};
  Reset r{pending_};
  bind_text(pending_, 1, receiver);
  sqlite3_bind_int64(pending_, 2,
                     static_cast<std::int64_t>(std::min<std::size_t>(chunk.max_messages, 1 << 30)));
  std::vector<QueuedMessage> out;
  std::size_t bytes = 0;
  while (sqlite3_step(pending_) == SQLITE_ROW) {
    QueuedMessage m{sqlite3_column_int64(pending_, 0),
                    std::string(reinterpret_cast<const char*>(sqlite3_column_text(pending_, 1)),
                                static_cast<std::size_t>(sqlite3_column_bytes(pending_, 1)))};
    if (!take_into_chunk(out, bytes, chunk, std::move(m))) break;
  }
  return out;
}

void SqliteStore::ack(const std::string& receiver, std::int64_t up_to_seq) {
  std::lock_guard lock(mutex_);
  write("ack", [&] {
    std::int64_t count = 0, bytes = 0;
    {
      Reset r{acked_};
      bind_text(acked_, 1, receiver);
      sqlite3_bind_int64(acked_, 2, up_to_seq);
      if (sqlite3_step(acked_) == SQLITE_ROW) {
        count = sqlite3_column_int64(acked_, 0);
        bytes = sqlite3_column_int64(acked_, 1);
      }
    }
    if (count == 0) return 0;
    for (auto* s : {ack_, shrink_queue_, drop_empty_queue_}) {
      Reset r{s};
      bind_text(s, 1, receiver);
      if (s == ack_) sqlite3_bind_int64(s, 2, up_to_seq);
      if (s == shrink_queue_) {
        sqlite3_bind_int64(s, 2, count);
        sqlite3_bind_int64(s, 3, bytes);
      }
      if (sqlite3_step(s) != SQLITE_DONE) fail("ack");
    }
    return 0;
  });
}

std::size_t SqliteStore::queued(const std::string& receiver, Millis now) {
  std::lock_guard lock(mutex_);
  auto q = queue_row(receiver);
  return q.exists && q.expires_at > now ? static_cast<std::size_t>(q.messages) : 0;
}

std::size_t SqliteStore::purge_expired(Millis now) {
  std::lock_guard lock(mutex_);
  return write("purge", [&] {
    std::size_t dropped = 0;
    for (auto* s : {purge_, purge_queues_}) {
      Reset r{s};
      sqlite3_bind_int64(s, 1, now);
      if (sqlite3_step(s) != SQLITE_DONE) fail("purge");
      if (s == purge_) dropped = static_cast<std::size_t>(sqlite3_changes(db_));
    }
    return dropped;
  });
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
  write("write rooms", [&] {
    Millis now = wall_now_ms();
    for (const auto& room : batch.put) {
      Reset r{put_room_};
      bind_text(put_room_, 1, room.id);
      bind_text(put_room_, 2, room.game);
      bind_text(put_room_, 3, room.snapshot);
      sqlite3_bind_int64(put_room_, 4, now);
      if (sqlite3_step(put_room_) != SQLITE_DONE) fail("put room");
    }
    for (const auto& w : batch.strokes) {
      if (auto keep = w.changes.keep_rows_through();
          keep != std::numeric_limits<std::int64_t>::max()) {
        Reset r{trim_strokes_};
        bind_text(trim_strokes_, 1, w.room_id);
        sqlite3_bind_int64(trim_strokes_, 2, keep);
        if (sqlite3_step(trim_strokes_) != SQLITE_DONE) fail("trim strokes");
      }
      for (const auto& row : w.changes.append) {
        Reset r{add_stroke_};
        bind_text(add_stroke_, 1, w.room_id);
        sqlite3_bind_int64(add_stroke_, 2, row.seq);
        sqlite3_bind_blob(add_stroke_, 3, row.data.data(), static_cast<int>(row.data.size()),
                          SQLITE_STATIC);  // bound for this step only
        if (sqlite3_step(add_stroke_) != SQLITE_DONE) fail("add stroke");
      }
    }
    for (const auto& id : batch.erase) {
      for (auto* s : {del_room_, del_strokes_}) {
        Reset r{s};
        bind_text(s, 1, id);
        if (sqlite3_step(s) != SQLITE_DONE) fail("delete room");
      }
    }
    return 0;
  });
}

std::vector<StoredRoom> SqliteStore::load_rooms() {
  std::lock_guard lock(mutex_);
  std::vector<StoredRoom> out;
  std::unordered_map<std::string, std::size_t> index;
  {
    Reset r{load_rooms_};
    auto text = [&](int col) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(load_rooms_, col)),
                         static_cast<std::size_t>(sqlite3_column_bytes(load_rooms_, col)));
    };
    while (sqlite3_step(load_rooms_) == SQLITE_ROW) {
      out.push_back({text(0), text(1), text(2), {}});
      index.emplace(out.back().id, out.size() - 1);
    }
  }
  // One pass in key order: a room's rows are consecutive and already in seq order.
  Reset r{load_strokes_};
  std::string current;
  bool started = false;
  StoredRoom* room = nullptr;
  while (sqlite3_step(load_strokes_) == SQLITE_ROW) {
    std::string_view id(reinterpret_cast<const char*>(sqlite3_column_text(load_strokes_, 0)),
                        static_cast<std::size_t>(sqlite3_column_bytes(load_strokes_, 0)));
    if (!started || id != current) {
      started = true;
      current = id;
      auto it = index.find(current);
      room = it == index.end() ? nullptr : &out[it->second];  // rows of no room: ignored
    }
    if (!room) continue;
    const void* data = sqlite3_column_blob(load_strokes_, 2);
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(load_strokes_, 2));
    room->strokes.push_back({sqlite3_column_int64(load_strokes_, 1),
                             std::string(data ? static_cast<const char*>(data) : "", size)});
  }
  return out;
}

}  // namespace roomctl::store
