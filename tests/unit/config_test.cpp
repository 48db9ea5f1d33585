// Profile parsing: types, bounds, units, precedence and error locations.
#include <catch2/catch.hpp>

#include "loadgen/loadtest_options.hpp"
#include "server/config/profile.hpp"
#include "server/config/serve_options.hpp"
#include "server/config/settings.hpp"

using namespace roomctl::config;

TEST_CASE("durations and sizes parse with units and print canonically", "[config]") {
  Settings s(serve_schema());
  s.apply_override("server.reconnect_grace=1500ms");
  s.apply_override("limits.max_message_bytes=2MiB");
  s.apply_override("dm.ttl=30d");
  CHECK(s.millis("server.reconnect_grace") == 1500);
  CHECK(s.integer("limits.max_message_bytes") == 2 * 1024 * 1024);
  CHECK(s.millis("dm.ttl") == 30LL * 86'400'000);
  CHECK(s.to_yaml().find("max_message_bytes: 2MiB") != std::string::npos);
  CHECK(format_duration_ms(90'000) == "90s");
  CHECK(format_duration_ms(120'000) == "2m");
}

TEST_CASE("wrong types, bounds and unknown keys are errors naming the key", "[config]") {
  Settings s(serve_schema());
  CHECK_THROWS_WITH(s.apply_override("limits.max_rooms=1.5"), Catch::Contains("limits.max_rooms"));
  CHECK_THROWS_WITH(s.apply_override("limits.max_rooms=0"), Catch::Contains("between"));
  CHECK_THROWS_WITH(s.apply_override("server.reconnect_grace=15"), Catch::Contains("duration"));
  CHECK_THROWS_WITH(s.apply_override("log.level=loud"), Catch::Contains("one of"));
  CHECK_THROWS_WITH(s.apply_override("nope.key=1"), Catch::Contains("unknown key"));
  CHECK_THROWS_WITH(s.apply_override("novalue"), Catch::Contains("key=value"));
}

TEST_CASE("YAML errors carry the origin and line", "[config]") {
  Settings s(serve_schema());
  CHECK_THROWS_WITH(s.load_yaml_text("server:\n  threads: [1, 2]\n", "p.yaml"),
                    Catch::Contains("p.yaml:2: server.threads"));
  CHECK_THROWS_WITH(s.load_yaml_text("server: {listen: \"x\"", "p.yaml"),
                    Catch::Contains("p.yaml:"));
  CHECK_NOTHROW(s.load_yaml_text("", "empty.yaml"));
  // A complex key (found by fuzz_profile) is a config error, not an escaping yaml-cpp exception.
  CHECK_THROWS_AS(s.load_yaml_text("server:\n  ? [a, b]\n  : 1\n", "p.yaml"), ConfigError);
}

TEST_CASE("environment overrides YAML and --set overrides the environment", "[config]") {
  Settings s(serve_schema());
  s.load_yaml_text("limits:\n  max_rooms: 10\n", "p.yaml");
  std::string e1 = "ROOMCTL_LIMITS_MAX_ROOMS=20", e2 = "UNRELATED=1";
  char* env[] = {e1.data(), e2.data(), nullptr};
  s.apply_environment(env);
  CHECK(s.integer("limits.max_rooms") == 20);
  s.apply_override("limits.max_rooms=30");
  CHECK(s.integer("limits.max_rooms") == 30);
}

TEST_CASE("serve options: endpoints and thread default", "[config]") {
  Settings s(serve_schema());
  s.apply_override("server.listen=127.0.0.1:0");
  auto o = serve_options(s);
  CHECK(o.listen.host == "127.0.0.1");
  CHECK(o.listen.port == 0);
  CHECK(o.threads >= 1);
  CHECK(parse_endpoint("[::1]:9100").host == "::1");
}

TEST_CASE("a threshold bound that is not a number is a config error", "[config]") {
  // Found by fuzz_profile: "<e" passed the character check and std::stod's exception escaped
  // `roomctl check` and `roomctl loadtest`.
  for (const char* bound : {"<e", "<-", "<.", ">1e", "<-.e"}) {
    Settings s(roomctl::loadgen::loadtest_schema());
    s.apply_override(std::string("thresholds.fanout_latency.p99=") + bound);
    INFO(bound);
    CHECK_THROWS_AS(roomctl::loadgen::loadtest_options(s), ConfigError);
  }
  Settings ok(roomctl::loadgen::loadtest_schema());
  ok.apply_override("thresholds.fanout_latency.p99=<1.5e1ms");
  CHECK_NOTHROW(roomctl::loadgen::loadtest_options(ok));
}
