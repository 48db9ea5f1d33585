// A real SQLite file for the tests that restart a server on one (removed with its WAL when the
// test ends), and raw SQL on it for the tests that inspect or damage what the server wrote.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

namespace roomctl::test {

struct TempDb {
  std::string path =
      (std::filesystem::temp_directory_path() /
       ("roomctl-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + ".db"))
          .string();
  static inline int counter = 0;
  std::string url() const { return "store.url=sqlite://" + path; }
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
  }
};

// Runs `statement` on the file at `db_path` (the test fails when SQLite refuses it).
inline void sql(const std::string& db_path, const std::string& statement) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace roomctl::test
