// `roomctl loadtest` against a real `roomctl serve`: the smoke profile plays both games with
// no invariant violation and writes a valid report; an impossible threshold exits 3; the live
// /metrics endpoint serves real Prometheus histograms; bad profiles exit 2. Several targets: the
// pre-flight connect checks every one, the report and the banner name them, and each server's
// /metrics shows the bots it received. Two independent single-node servers share no rooms, so
// the run that must pass its checks places each room on one server (target_spread=rooms); with
// the default spread (bots) the bots of one room reach both servers, which is what makes rooms
// span the nodes of a cluster (against independent servers the joins on the second one fail).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/cluster_nodes.hpp"
#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
std::string smoke() {
  return std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/smoke.yaml";
}
std::string url(const ServerProcess& s) {
  return "ws://127.0.0.1:" + std::to_string(s.port()) + "/";
}
std::string target(const ServerProcess& s) {
  return "target=" + url(s);
}
json::object read_report(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(path.c_str());
  return json::parse(ss.str()).as_object();
}
const char* kOpened = "roomctl_connections_opened_total";
}  // namespace

TEST_CASE("loadtest smoke: both games complete, no violations, a valid report, exit 0",
          "[loadtest]") {
  ServerProcess server({"games.time_scale=0.05"});
  std::string report = "/tmp/roomctl-report-" + std::to_string(getpid()) + ".json";
  std::string out;
  int rc = run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--set", target(server),
                        "--workers", "2", "--report", report},
                       out);
  INFO(out);
  CHECK(rc == 0);
  auto r = read_report(report);
  CHECK(r.at("passed") == true);
  CHECK(r.at("workers") == 2);
  CHECK_FALSE(r.contains("targetSpread"));  // one target: the report as it always was
  const auto& c = r.at("counters").as_object();
  CHECK(c.at("spy_games_completed").as_int64() >= 1);
  CHECK(c.at("skribble_games_completed").as_int64() >= 1);
  CHECK_FALSE(c.contains("invariant_violations"));
  CHECK(r.at("invariantViolations").as_object().empty());
  const auto& lat = r.at("latencySeconds").as_object();
  for (const char* h :
       {"connect_latency", "join_latency", "game_start_latency", "chat_rtt", "fanout_latency"}) {
    INFO(h);
    REQUIRE(lat.contains(h));
    CHECK(lat.at(h).at("count").as_int64() > 0);
    CHECK(lat.at(h).at("p99").as_double() >= lat.at(h).at("p50").as_double());
  }
  CHECK(c.at("dm_received").as_int64() > 0);
  CHECK(c.at("friend_accepts_received").as_int64() > 0);
  CHECK(c.at("dm_queued_received").as_int64() >=
        c.at("dm_sent_offline").as_int64());  // at least once
  // The server saw the same games.
  CHECK(server.metric(R"(roomctl_games_finished_total{game="skribble",outcome="completed"})") >= 1);
}

TEST_CASE("loadtest: an impossible threshold exits 3", "[loadtest]") {
  ServerProcess server({"games.time_scale=0.05"});
  std::string out;
  int rc = run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--set", target(server),
                        "--set", "duration=1s", "--set", "mix.spy=1", "--set", "mix.skribble=0",
                        "--set", "thresholds.join_latency.p99=<1us"},
                       out);
  INFO(out);
  CHECK(rc == 3);
  CHECK(out.find("FAILED join_latency.p99 <1us") != std::string::npos);
}

TEST_CASE("loadtest: /metrics while running has roomctl_loadtest_* histograms", "[loadtest]") {
  ServerProcess server({"games.time_scale=0.05"});
  auto port = free_port();
  std::string metrics;
  std::thread scraper([&] {
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(100ms);
      auto r = http_get(port, "/metrics");
      if (r.status == 200 &&
          r.body.find("roomctl_loadtest_fanout_latency_seconds_bucket") != std::string::npos) {
        metrics = r.body;
        return;
      }
    }
  });
  std::string out;
  int rc = run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--set", target(server),
                        "--set", "metrics.listen=127.0.0.1:" + std::to_string(port)},
                       out);
  scraper.join();
  INFO(out);
  CHECK(rc == 0);
  REQUIRE_FALSE(metrics.empty());
  CHECK(metrics.find("# TYPE roomctl_loadtest_fanout_latency_seconds histogram") !=
        std::string::npos);
  CHECK(metrics.find("roomctl_loadtest_messages_sent_total") != std::string::npos);
  char path[] = "/tmp/roomctl-ltmetrics-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(write(fd, metrics.data(), metrics.size()) == static_cast<ssize_t>(metrics.size()));
  close(fd);
  std::string lint;
  CHECK(run_command({"sh", "-c", std::string("promtool check metrics < ") + path}, lint) == 0);
  INFO(lint);
  unlink(path);
}

TEST_CASE("loadtest: bad profiles and thresholds exit 2", "[loadtest]") {
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--set",
                     "thresholds.fanout_latency.p99=fast"},
                    out) == 2);
  CHECK(out.find("thresholds.fanout_latency.p99") != std::string::npos);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--set", "target=http://x/"},
                    out) == 2);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--set", "rooms=-1"}, out) ==
        2);
  for (const char* p : {"smoke", "steady", "spike", "soak", "fanout"}) {
    out.clear();
    // Every shipped profile parses (the target is unreachable: that is a run-time failure, not 2).
    std::string path = std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/" + p + ".yaml";
    INFO(p);
    CHECK(run_command({ROOMCTL_BINARY, "check", "--kind", "loadtest", "--profile", path}, out) ==
          0);
  }
}

TEST_CASE("loadtest targets: rooms spread over two servers, both play, the checks pass",
          "[loadtest]") {
  ServerProcess a({"games.time_scale=0.05"}), b({"games.time_scale=0.05"});
  std::string report = "/tmp/roomctl-targets-" + std::to_string(getpid()) + ".json";
  std::string out;
  int rc = run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--target", url(a),
                        "--target", url(b), "--set", "target_spread=rooms", "--report", report},
                       out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find(url(a) + ", " + url(b) + " (each room on one of them)") != std::string::npos);
  auto r = read_report(report);
  CHECK(r.at("passed") == true);
  CHECK(r.at("targets") == json::array{json::string(url(a)), json::string(url(b))});
  CHECK(r.at("targetSpread") == "rooms");
  // Four rooms of four players (two of each game), one room in two on each server.
  for (const auto* s : {&a, &b}) {
    CHECK(s->metric(kOpened) >= 8);
    CHECK(s->metric(R"(roomctl_games_finished_total{game="skribble",outcome="completed"})") >= 1);
  }
}

TEST_CASE("loadtest targets: by default one room's bots go to every target", "[loadtest]") {
  ServerProcess a({"games.time_scale=0.05"}), b({"games.time_scale=0.05"});
  std::string out;
  // One spy room of four bots, no app users: bots 0 and 2 on a, 1 and 3 on b (comma form).
  run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--target", url(a) + "," + url(b),
               "--set", "rooms=1", "--set", "mix.skribble=0", "--set", "app.users=0", "--set",
               "duration=1s", "--set", "ramp_down=1s", "--set", "abort_after=2s"},
              out);
  INFO(out);
  CHECK(out.find("(each room's bots round robin over them)") != std::string::npos);
  CHECK(a.metric(kOpened) >= 2);
  CHECK(b.metric(kOpened) >= 2);
}

TEST_CASE("loadtest targets: the pre-flight connect checks every target", "[loadtest]") {
  ServerProcess a({"games.time_scale=0.05"});
  std::string dead = "ws://127.0.0.1:" + std::to_string(free_port()) + "/";
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--target", url(a),
                     "--target", dead},
                    out) == 1);
  CHECK(out.find("cannot reach " + dead) != std::string::npos);
  CHECK(a.metric(kOpened) == 0);  // nothing ran
}

TEST_CASE("loadtest against a cluster: each room's bots spread over three nodes, the checks pass",
          "[loadtest][cluster]") {
  ClusterNodes c(3, {"games.time_scale=0.05"});
  std::string report = "/tmp/roomctl-cluster-" + std::to_string(getpid()) + ".json";
  std::string out;
  int rc = run_command({ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--target",
                        url(c[0]) + "," + url(c[1]) + "," + url(c[2]), "--report", report},
                       out);
  INFO(out);
  CHECK(rc == 0);
  auto r = read_report(report);
  CHECK(r.at("passed") == true);
  CHECK(r.at("targetSpread") == "bots");
  // Every room had players on other nodes than its owner: their messages crossed the bus.
  CHECK(c.sum("roomctl_cluster_forwarded_inputs_total") > 0);
  CHECK(c.sum(R"(roomctl_games_finished_total{game="skribble",outcome="completed"})") >= 1);
  for (std::size_t i = 0; i < 3; ++i) CHECK(c[i].metric(kOpened) >= 4);
}
