// A rolling restart of a whole cluster under load: HAProxy in front of three real nodes on a real
// Redis, `roomctl loadtest` playing spy and skribble games (each room's bots through the
// balancer, so on any node) while every node is stopped (SIGTERM: its rooms handed over, its
// players closed with 1012 and reconnecting) and started again, one after another. The load
// test's report is the evidence: its checks pass, no game invariant breaks, no queued DM is lost,
// and every game completes.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/cluster_support.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

TEST_CASE("cluster rolling restart under load: no game lost, no invariant broken, no DM lost",
          "[cluster][handover][loadtest]") {
  Cluster c(ClusterOptions{Balancer::haproxy, 3, {"games.time_scale=0.1"}});
  std::string report = "/tmp/roomctl-rolling-" + std::to_string(getpid()) + ".json";
  std::string out;
  int rc = -1;
  std::thread load([&] {
    rc = run_command({ROOMCTL_BINARY, "loadtest", "--profile",
                      std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/smoke.yaml", "--target",
                      "ws://127.0.0.1:" + std::to_string(c.lb_port()) + "/", "--set", "rooms=6",
                      "--set", "duration=12s", "--set", "app.users=6", "--report", report},
                     out);
  });
  std::this_thread::sleep_for(3s);
  for (int i = 0; i < 3; ++i) {
    c.stop(i);
    c.restart(i);
    std::this_thread::sleep_for(1s);
  }
  load.join();
  INFO(out);
  std::ifstream in(report);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(report.c_str());
  auto r = json::parse(ss.str()).as_object();
  INFO(json::serialize(r));
  CHECK(rc == 0);
  CHECK(r.at("passed") == true);
  CHECK(r.at("invariantViolations").as_object().empty());
  const auto& counters = r.at("counters").as_object();
  auto n = [&](const char* k) {
    return counters.contains(k) ? counters.at(k).to_number<double>() : 0.0;
  };
  std::printf(
      "rolling restart: games %g/%g completed, %g bots reconnected, DMs %g sent %g received live, "
      "%g queued %g delivered from the queue, %zu invariant violations\n",
      n("games_completed"), n("games_started"), n("server_reconnects"), n("dm_sent"),
      n("dm_received"), n("dm_sent_offline"), n("dm_queued_received"),
      r.at("invariantViolations").as_object().size());
  // Players were moved by the restarts, and every game that started completed.
  CHECK(counters.at("server_reconnects").to_number<double>() > 0);
  CHECK(counters.at("games_completed").to_number<double>() ==
        counters.at("games_started").to_number<double>());
}
