// The CLI surface: check, version, help, profile errors and precedence.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "tests/integration/server_process.hpp"

using namespace roomctl::test;

TEST_CASE("roomctl version and help", "[cli]") {
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "version"}, out) == 0);
  CHECK(out.find("roomctl ") == 0);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "--help"}, out) == 0);
  CHECK(out.find("serve") != std::string::npos);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "serve", "--help"}, out) == 0);
  CHECK(out.find("--profile") != std::string::npos);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "no-such-command"}, out) == 2);
}

TEST_CASE("roomctl check prints the effective configuration with precedence", "[cli]") {
  std::string path = "/tmp/roomctl-check-profile.yaml";
  std::ofstream(path) << "limits:\n  max_rooms: 10\n  max_connections: 5\n";
  setenv("ROOMCTL_LIMITS_MAX_CONNECTIONS", "6", 1);
  std::string out;
  int rc = run_command(
      {ROOMCTL_BINARY, "check", "--profile", path, "--set", "limits.max_chat_length=77"}, out);
  unsetenv("ROOMCTL_LIMITS_MAX_CONNECTIONS");
  CHECK(rc == 0);
  CHECK(out.find("max_rooms: 10") != std::string::npos);        // YAML over default
  CHECK(out.find("max_connections: 6") != std::string::npos);   // env over YAML
  CHECK(out.find("max_chat_length: 77") != std::string::npos);  // --set over all
  CHECK(out.find("idle_timeout: 30m") != std::string::npos);    // default
}

TEST_CASE("roomctl check fails with file, line and key, exit 2", "[cli]") {
  std::string path = "/tmp/roomctl-bad-profile.yaml";
  std::ofstream(path) << "server:\n  listen: 0.0.0.0:8080\nlimits:\n  max_rooms: lots\n";
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "check", "--profile", path}, out) == 2);
  CHECK(out.find(path + ":4: limits.max_rooms") != std::string::npos);

  std::ofstream(path) << "server:\n  listen: 0.0.0.0:8080\n  lisen: x\n";
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "check", "--profile", path}, out) == 2);
  CHECK(out.find(":3: server.lisen: unknown key") != std::string::npos);

  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "server.listen=nohost"}, out) == 2);
  CHECK(out.find("server.listen") != std::string::npos);
}

TEST_CASE("serve refuses a bad profile with exit code 2", "[cli]") {
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "serve", "--set", "limits.max_rooms=-5"}, out) == 2);
  CHECK(out.find("limits.max_rooms") != std::string::npos);
}

TEST_CASE("the shipped profiles are valid", "[cli]") {
  for (const char* p : {"profiles/serve/default.yaml", "profiles/serve/production.yaml"}) {
    std::string out;
    INFO(p);
    CHECK(run_command(
              {ROOMCTL_BINARY, "check", "--profile", std::string(ROOMCTL_SOURCE_DIR) + "/" + p},
              out) == 0);
  }
}

TEST_CASE("cluster settings: a cluster needs a Redis store, bad values are refused", "[cli]") {
  std::string out;
  // The default store is SQLite: a cluster shares its state in Redis, so this is an error.
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "cluster.enabled=true"}, out) == 2);
  CHECK(out.find("cluster.enabled") != std::string::npos);
  CHECK(out.find("redis://") != std::string::npos);
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "cluster.lease_ttl=10ms"}, out) == 2);
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "cluster.enabled=maybe"}, out) == 2);
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "cluster.enabled=true", "--set",
                     "store.url=redis-sentinel://127.0.0.1:26379/mymaster/0"},
                    out) == 0);
}
