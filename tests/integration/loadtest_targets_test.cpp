// `roomctl loadtest` with several targets against real `roomctl serve` processes: the pre-flight
// connect checks every target, the report and the banner name them, and each server's /metrics
// shows the bots it received. Two independent single-node servers share no rooms, so the run
// that must pass its checks places each room on one server (target_spread=rooms); with the
// default spread (bots) the bots of one room reach both servers, which is what makes rooms span
// the nodes of a cluster (against independent servers the joins on the second one are refused).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
namespace json = boost::json;

namespace {
std::string smoke() {
  return std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/smoke.yaml";
}
std::string url(const ServerProcess& s) {
  return "ws://127.0.0.1:" + std::to_string(s.port()) + "/";
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
  CHECK(run_command(
            {ROOMCTL_BINARY, "loadtest", "--profile", smoke(), "--target", url(a), "--target", dead},
            out) == 1);
  CHECK(out.find("cannot reach " + dead) != std::string::npos);
  CHECK(a.metric(kOpened) == 0);  // nothing ran
}
