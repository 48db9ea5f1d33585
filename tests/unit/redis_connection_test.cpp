// The parts of the shared Redis connection helper that need no server: redis:// and
// redis-sentinel:// URLs (the store
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

TEST_CASE("redis-sentinel URL: sentinel addresses, master name, database and prefix",
          "[store][cluster]") {
  auto e = store::parse_redis_url(
      "redis-sentinel://10.0.0.1:26380,10.0.0.2,[::1]:26381/games/2?prefix=g:");
  REQUIRE(e.uses_sentinel());
  REQUIRE(e.sentinels.size() == 3);
  CHECK(e.sentinels[0].host == "10.0.0.1");
  CHECK(e.sentinels[0].port == 26380);
  CHECK(e.sentinels[1].host == "10.0.0.2");
  CHECK(e.sentinels[1].port == 26379);  // Sentinel's default port
  CHECK(e.sentinels[2].host == "::1");
  CHECK(e.sentinels[2].port == 26381);
  CHECK(e.master_name == "games");
  CHECK(e.db == 2);
  CHECK(e.prefix == "g:");
  CHECK(e.describe() == "redis-sentinel://10.0.0.1:26380,10.0.0.2:26379,[::1]:26381/games/2");
  auto d = store::parse_redis_url("redis-sentinel://h:1/m");
  CHECK(d.db == 0);
  CHECK(d.prefix == "roomctl:");
  CHECK(d.describe() == "redis-sentinel://h:1/m/0");
  CHECK_FALSE(store::parse_redis_url("redis://h:1/0").uses_sentinel());
  CHECK(store::is_redis_url("redis-sentinel://h:1/m"));
  CHECK(store::is_redis_url("redis://h"));
  CHECK_FALSE(store::is_redis_url("sqlite://x.db"));
}

TEST_CASE("redis-sentinel URL: a malformed one is refused naming the URL and the form",
          "[store][cluster]") {
  auto refused = [](const std::string& url, const std::string& why) {
    std::string e = url_error(url);
    INFO(url << " -> " << e);
    CHECK(e.find("\"" + url + "\"") != std::string::npos);
    CHECK(e.find(why) != std::string::npos);
    CHECK(e.find("MASTER_NAME") != std::string::npos);
  };
  refused("redis-sentinel://h:26379", "the master name is missing");
  refused("redis-sentinel://h:26379/", "the master name is missing");
  refused("redis-sentinel://h:26379//0", "the master name is missing");
  refused("redis-sentinel://h:1,,h:2/m", "an empty sentinel address");
  refused("redis-sentinel:///m", "an empty sentinel address");
  refused("redis-sentinel://h:port/m", "the port must be a number");
  refused("redis-sentinel://h:99999/m", "the port must be a number");
  refused("redis-sentinel://h:0/m", "is not a valid address");
  refused("redis-sentinel://[::1/m", "is not a valid address");
  refused("redis-sentinel://h:1/m/zero", "the database must be a number");
}

TEST_CASE("redis script: the digest is the SHA-1 Redis gives the same source", "[store]") {
  // The digest Redis's own documentation shows for SCRIPT LOAD "return 1".
  CHECK(store::RedisScript("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(store::RedisScript("return 2").sha1() != store::RedisScript("return 1").sha1());
}
