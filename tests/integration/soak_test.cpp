// A bounded soak: rooms and players churn for about a minute (games start and end, rooms are
// replaced, slow readers stall, DMs flow online and offline) and the server ends where it started:
// no room, session or connection left alive, descriptors back to their baseline, memory flat after
// the warm-up. The documented long run (1 h) uses the same profile with a longer duration
// (bench/RESULTS.md).
#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;

TEST_CASE("soak: a minute of churn leaves no live object, descriptor or memory behind", "[soak]") {
  ServerProcess server({"games.time_scale=0.05", "server.reconnect_grace=1s",
                        "rooms.finished_ttl=1s", "rooms.sweep_interval=100ms",
                        "limits.messages_per_second=1000", "limits.message_burst=1000"});
  double fds_idle = server.metric("roomctl_process_open_fds");
  std::string profile = std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/soak.yaml";
  std::string target = "target=ws://127.0.0.1:" + std::to_string(server.port()) + "/";
  std::string out;
  double rss_warm = -1;
  std::thread sampler([&] {
    std::this_thread::sleep_for(20s);  // warm-up: allocator arenas and caches reach their size
    rss_warm = server.metric("roomctl_process_resident_memory_bytes");
  });
  int rc = run_command({ROOMCTL_BINARY, "loadtest",
                        "--profile",    profile,
                        "--set",        target,
                        "--set",        "rooms=24",
                        "--set",        "ramp_up=3s",
                        "--set",        "duration=50s",
                        "--set",        "ramp_down=8s",
                        "--set",        "games_per_room=100",
                        "--set",        "app.users=40",
                        "--set",        "app.dm_interval=500ms",
                        "--set",        "faults.slow_reader_pause=2s",
                        "--set",        "faults.slow_reader_fraction=0",
                        "--set",        "metrics.listen=127.0.0.1:0",
                        "--set",        "progress_interval=10s",
                        "--set",        "thresholds.fanout_latency.p99=<10s"},
                       out);
  sampler.join();
  INFO(out);
  CHECK(rc == 0);
  CHECK(server.metric(R"(roomctl_games_finished_total{game="skribble",outcome="completed"})") >= 5);
  // Everyone left: after the grace and the room TTLs, nothing may stay alive.
  CHECK(eventually([&] { return server.metric(R"(roomctl_live_objects{kind="session"})") == 0; },
                   15s));
  CHECK(
      eventually([&] { return server.metric(R"(roomctl_live_objects{kind="room"})") == 0; }, 15s));
  CHECK(server.metric("roomctl_connections") == 0);
  CHECK(server.metric("roomctl_users_online") == 0);
  CHECK(server.metric("roomctl_send_queue_bytes") == 0);
  CHECK(server.metric("roomctl_pending_handshakes") == 0);
  CHECK(eventually([&] { return server.metric("roomctl_process_open_fds") <= fds_idle + 2; }, 10s));
  double rss_end = server.metric("roomctl_process_resident_memory_bytes");
  INFO("RSS after warm-up " << rss_warm / 1e6 << " MB, at the end " << rss_end / 1e6 << " MB");
  REQUIRE(rss_warm > 0);
  CHECK(rss_end < rss_warm * 1.25 + 4e6);
}
