// The parts of the shared Redis connection helper that need no server: redis:// URLs (the store
// and the cluster read store.url the same way) and script digests (EVALSHA must name exactly
// the script Redis would cache).
#include <catch2/catch.hpp>

#include "server/cluster/cluster_keys.hpp"
#include "server/store/redis_connection.hpp"

using namespace roomctl;

namespace {
std::string url_error(const std::string& url) {
  try {
    store::parse_redis_url(url);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("redis URL: host, port, database and key prefix, with defaults", "[store][cluster]") {
  auto e = store::parse_redis_url("redis://10.0.0.5:6380/3?prefix=game:");
  CHECK(e.host == "10.0.0.5");
  CHECK(e.port == 6380);
  CHECK(e.db == 3);
  CHECK(e.prefix == "game:");
  CHECK(e.describe() == "redis://10.0.0.5:6380/3");
  auto d = store::parse_redis_url("redis://");
  CHECK(d.host == "127.0.0.1");
  CHECK(d.port == 6379);
  CHECK(d.db == 0);
  CHECK(d.prefix == "roomctl:");
  // The cluster's keys follow the same prefix.
  cluster::ClusterKeys keys{e.prefix};
  CHECK(keys.owner("r1") == "game:owner:r1");
  CHECK(keys.snapshot("r1") == "game:room:r1");  // where RedisStore keeps snapshots
  CHECK(keys.inbox("node-2") == "game:n:node-2");
}

TEST_CASE("redis URL: a malformed one is refused naming the URL", "[store][cluster]") {
  CHECK(url_error("redis://127.0.0.1:6379/zero").find("the database must be a number") !=
        std::string::npos);
  CHECK(url_error("http://127.0.0.1:6379").find("\"http://127.0.0.1:6379\"") != std::string::npos);
  CHECK(url_error("redis://[::1").find("not a valid redis URL") != std::string::npos);
}

TEST_CASE("redis script: the digest is the SHA-1 Redis gives the same source", "[store]") {
  // The digest Redis's own documentation shows for SCRIPT LOAD "return 1".
  CHECK(store::RedisScript("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(store::RedisScript("return 2").sha1() != store::RedisScript("return 1").sha1());
}
