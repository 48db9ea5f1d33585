// What makes `roomctl loadtest` trustworthy to an operator, each checked against a real server:
// an interrupt still writes the summary and a report marked interrupted (exit 6); an unreachable
// or dying target fails fast with bounded attempts; a misspelt threshold is an error with a
// suggestion; a fixed schedule yields no negative latency; the capacity search finds the limit a
// server is given; --out json streams per-second points.
#include <unistd.h>

#include <csignal>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"

using namespace roomctl::test;
namespace json = boost::json;

namespace {
std::string profile(const char* name) {
  return std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/" + name + ".yaml";
}
std::string target(std::uint16_t port) {
  return "target=ws://127.0.0.1:" + std::to_string(port) + "/";
}
std::string temp_path(const char* stem) {
  return "/tmp/roomctl-" + std::string(stem) + "-" + std::to_string(getpid()) + ".json";
}
json::object read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str()).as_object();
}
std::string quoted(const std::string& s) {
  return "'" + s + "'";
}
}  // namespace

TEST_CASE("loadtest: SIGTERM or Ctrl-C writes the summary and an interrupted report, exit 6",
          "[loadtest]") {
  ServerProcess server({"games.time_scale=0.05"});
  for (const char* sig : {"TERM", "INT"}) {
    INFO(sig);
    std::string report = temp_path("interrupted");
    std::string cmd = std::string(ROOMCTL_BINARY) + " loadtest --profile " + profile("smoke") +
                      " --workers 2 --set " + target(server.port()) +
                      " --set duration=60s --report " + report + " & pid=$!; sleep 3; kill -" +
                      sig + " $pid; wait $pid; echo exit=$?";
    std::string out;
    run_command({"sh", "-c", cmd}, out);
    INFO(out);
    CHECK(out.find("exit=6") != std::string::npos);
    CHECK(out.find("interrupted") != std::string::npos);
    CHECK(out.find("messages_received") != std::string::npos);  // the summary was printed
    auto r = read_json(report);
    CHECK(r.at("interrupted").as_bool());
    CHECK(r.at("counters").at("messages_received").as_int64() > 0);
    CHECK(r.at("elapsedSeconds").as_double() < 30);
    CHECK(r.contains("startedAt"));
    CHECK(r.contains("endedAt"));
    CHECK(r.at("version").is_string());
    CHECK(r.at("configuration").at("duration").as_string() == "1m");
    unlink(report.c_str());
  }
}

TEST_CASE("loadtest: an unreachable target exits 1 at once with the reason", "[loadtest]") {
  auto port = free_port();  // nothing listens there
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  int rc = run_command(
      {ROOMCTL_BINARY, "loadtest", "--profile", profile("smoke"), "--set", target(port)}, out);
  INFO(out);
  CHECK(rc == 1);
  CHECK(out.find("cannot reach ws://127.0.0.1:" + std::to_string(port) + "/: Connection refused") !=
        std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
}

TEST_CASE("loadtest: a target that dies mid-run: bounded reconnects, then abort, exit 1",
          "[loadtest]") {
  auto server = std::make_unique<ServerProcess>(std::vector<std::string>{"games.time_scale=0.05"});
  std::string report = temp_path("dying");
  std::string cmd = std::string(ROOMCTL_BINARY) + " loadtest --profile " + profile("smoke") +
                    " --set " + target(server->port()) +
                    " --set duration=60s --set abort_after=3s --report " + report +
                    " ; echo exit=$?";
  std::string out;
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    server->signal(SIGKILL);
  });
  run_command({"sh", "-c", cmd}, out);
  killer.join();
  INFO(out);
  CHECK(out.find("exit=1") != std::string::npos);
  CHECK(out.find("aborted: no live connection for 3s") != std::string::npos);
  auto r = read_json(report);
  auto attempts = r.at("counters").at("connect_attempts").as_int64();
  CHECK(attempts < 400);  // backoff: a handful per second, not tens of thousands
  for (const auto& t : r.at("thresholds").as_array())
    if (t.at("metric").as_string() == "errors") {
      CHECK(t.at("value").as_double() >= 0);
      CHECK(t.at("value").as_double() <= 1);  // a ratio of attempts
    }
  unlink(report.c_str());
}

TEST_CASE("loadtest: misspelt thresholds and a missing profile are usage errors", "[loadtest]") {
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "loadtest", "--profile", profile("smoke"), "--set",
                     "thresholds.invariant_violatons.count=<1"},
                    out) == 2);
  CHECK(out.find("did you mean \"invariant_violations\"") != std::string::npos);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "check", "--kind", "loadtest", "--profile", profile("smoke"),
                     "--set", "thresholds.fanout_latency.p98=<1"},
                    out) == 2);
  CHECK(out.find("did you mean \"p90\"") != std::string::npos);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "loadtest"}, out) == 2);
  CHECK(out.find("usage: roomctl loadtest --profile") != std::string::npos);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "loadtest", "--profile", profile("smoke"), "--report",
                     "/nonexistent-dir/report.json"},
                    out) == 2);
  CHECK(out.find("cannot write the report") != std::string::npos);
}

TEST_CASE("loadtest: a fixed drawing schedule yields no negative latency, --out json streams",
          "[loadtest]") {
  ServerProcess server({"games.time_scale=0.05", "limits.messages_per_second=1000"});
  std::string report = temp_path("fanout"), points = temp_path("points");
  std::string out;
  int rc = run_command(
      {ROOMCTL_BINARY, "loadtest", "--profile", profile("fanout"), "--set", target(server.port()),
       "--set", "rooms=2", "--set", "ramp_up=500ms", "--set", "duration=3s", "--set",
       "skribble.stroke_rate=97", "--report", report, "--out", "json=" + points},
      out);
  INFO(out);
  CHECK(rc == 0);
  auto r = read_json(report);
  const auto& fan = r.at("latencySeconds").at("fanout_latency").as_object();
  CHECK(fan.at("count").as_int64() > 200);
  CHECK(fan.at("negative").as_int64() == 0);
  CHECK(fan.at("p50").as_double() > 0);  // never clamped to zero
  CHECK(r.at("cpu").at("secondsPerMillionFrames").as_double() > 0);
  std::ifstream in(points);
  int lines = 0, received = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    auto p = json::parse(line).as_object();
    CHECK(p.at("type").as_string() == "Point");
    if (p.at("metric").as_string() == "messages_received") ++received;
  }
  CHECK(received >= 3);  // about one per second
  unlink(report.c_str());
  unlink(points.c_str());
}

TEST_CASE("loadtest: the capacity search finds the limit a server is given", "[loadtest]") {
  // The server refuses a connection's messages beyond 30/s (burst 5): the drawer's stroke rate
  // can hold at 20/s and not at 40/s.
  ServerProcess server(
      {"games.time_scale=0.05", "limits.messages_per_second=30", "limits.message_burst=5"});
  std::string report = temp_path("search");
  std::string out;
  int rc = run_command({ROOMCTL_BINARY,   "loadtest",
                        "--profile",      profile("fanout"),
                        "--set",          target(server.port()),
                        "--set",          "rooms=2",
                        "--set",          "ramp_up=500ms",
                        "--set",          "duration=3s",
                        "--set",          "skribble.stroke_rate=10",
                        "--search",       "stroke_rate",
                        "--slo",          "errors.rate<0.01",
                        "--max-steps",    "5",
                        "--server-admin", "http://127.0.0.1:" + std::to_string(server.admin_port()),
                        "--report",       report},
                       out);
  INFO(out);
  CHECK(rc == 0);
  auto r = read_json(report);
  const auto& search = r.at("search").as_object();
  double capacity = search.at("capacity").as_double();
  CHECK(capacity >= 20);
  CHECK(capacity < 40);
  const auto& steps = search.at("steps").as_array();
  CHECK(steps.size() >= 3);
  CHECK(steps.size() <= 5);
  CHECK(steps.at(0).at("passed").as_bool());
  CHECK(steps.at(0).as_object().contains("serverCpuPercent"));
  CHECK(out.find("capacity: stroke_rate=") != std::string::npos);
  unlink(report.c_str());
}
