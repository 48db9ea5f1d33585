// Benchmark of the cluster foundation against a real redis-server (bench/cluster.sh starts one):
// the cost of the fence (fenced snapshot writes next to the store's plain MULTI/EXEC writes, in
// one run, with Redis's own CPU per 10,000 writes), claims and seat reservations per second, and
// the bus batcher: bus messages per delivered frame and codec CPU per frame.
// Usage: cluster_bench PORT REDIS_PID   (prints markdown tables)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "server/cluster/bus_batcher.hpp"
#include "server/cluster/joinable_index.hpp"
#include "server/cluster/node_lease.hpp"
#include "server/cluster/room_registry.hpp"
#include "server/store/redis_store.hpp"

using namespace roomctl;
using namespace roomctl::cluster;
using Clock = std::chrono::steady_clock;

namespace {
double redis_cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(f, line);
  std::istringstream in(line.substr(line.rfind(')') + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// This thread's CPU time: the codec's cost without the noise of other processes' load.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr int kRooms = 10000, kBatch = 100, kRounds = 20;
const std::string kSnapshot(1024, 's');

template <class Fn>
void measure_writes(const char* name, int redis_pid, Fn write_batch) {
  double cpu0 = redis_cpu_seconds(redis_pid);
  auto t0 = Clock::now();
  for (int round = 0; round < kRounds; ++round)
    for (int b = 0; b < kRooms / kBatch; ++b) write_batch(b);
  double wall = seconds_since(t0);
  double cpu = redis_cpu_seconds(redis_pid) - cpu0;
  int writes = kRooms * kRounds;
  std::printf("| %s | %d | %.0f | %.1f ms |\n", name, writes, writes / wall,
              cpu * 1000.0 * 10000 / writes);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: cluster_bench PORT REDIS_PID\n");
    return 2;
  }
  int redis_pid = std::atoi(argv[2]);
  auto ep = store::parse_redis_url(std::string("redis://127.0.0.1:") + argv[1] + "/0?prefix=b:");
  NodeLease lease(ep, "bench", 600000);
  lease.refresh({"bench", "", "", 0, 0, 0});
  RoomRegistry registry(ep, "bench");
  store::RedisStore plain(ep);

  // Claims: one round trip each, 10,000 new ids.
  auto t0 = Clock::now();
  std::vector<std::int64_t> epochs(kRooms);
  for (int i = 0; i < kRooms; ++i)
    epochs[i] =
        registry.claim("room" + std::to_string(i), "skribble", RoomRegistry::ClaimMode::create)
            .epoch;
  double claim_s = seconds_since(t0);

  std::printf(
      "| snapshot writes (1 KiB, batches of %d) | writes | writes/s | Redis CPU per 10k "
      "writes |\n|---|---|---|---|\n",
      kBatch);
  measure_writes("store: MULTI/EXEC, unfenced", redis_pid, [&](int b) {
    store::RoomBatch batch;
    for (int i = b * kBatch; i < (b + 1) * kBatch; ++i)
      batch.put.push_back({"room" + std::to_string(i), "skribble", kSnapshot});
    plain.write_rooms(batch);
  });
  measure_writes("cluster: fenced, one EVALSHA per batch", redis_pid, [&](int b) {
    std::vector<FencedSnapshot> batch;
    for (int i = b * kBatch; i < (b + 1) * kBatch; ++i)
      batch.push_back({"room" + std::to_string(i), epochs[i], "skribble", kSnapshot});
    registry.write_snapshots(batch);
  });

  // Quick join: 1,000 rooms with 8 seats, 8,000 reservations fill them all.
  JoinableIndex index(ep, 600000);
  for (int i = 0; i < 1000; ++i)
    index.publish("skribble", "room" + std::to_string(i), "bench", epochs[i], 8);
  t0 = Clock::now();
  int reserved = 0;
  for (int u = 0; u < 8000; ++u)
    if (index.reserve("skribble", "user" + std::to_string(u))) ++reserved;
  double reserve_s = seconds_since(t0);
  std::printf(
      "\n| registry operation | count | per second (one connection, sequential) |\n"
      "|---|---|---|\n| claim (create) | %d | %.0f |\n| reserve a seat | %d | %.0f |\n",
      kRooms, kRooms / claim_s, reserved, reserved / reserve_s);

  // The bus: 300 skribble rooms of 8 players spread over 3 nodes (owner "a" holds 3 members of
  // each room itself, "b" 3, "c" 2); 10 drawing frames per room per tick, 100 ticks.
  BusBatcher batcher("a");
  auto frame = std::make_shared<const std::string>(
      R"({"type":"drawing","roomId":"room1","data":{"x0":0.5,"y0":0.25,"x1":0.51,"y1":0.26,"color":"#000000","size":4}})");
  std::size_t messages = 0, frames = 0, deliveries = 0, bytes = 0;
  double codec_s = 0;
  for (int tick = 0; tick < 100; ++tick) {
    for (int r = 0; r < 300; ++r)
      for (int k = 0; k < 10; ++k) {
        std::string room = "room" + std::to_string(r);
        batcher.add_frame("b", room, 1, {"u3", "u4", "u5"}, frame);
        batcher.add_frame("c", room, 1, {"u6", "u7"}, frame);
        frames += 2;
        deliveries += 5;
      }
    double t = thread_cpu_seconds();
    auto out = batcher.take();
    for (const auto& m : out) {
      auto back = decode(m.bytes);
      bytes += m.bytes.size();
      (void)back;
    }
    codec_s += thread_cpu_seconds() - t;
    messages += out.size();
  }
  std::printf(
      "\n| bus (300 rooms x 10 frames per tick, members on 2 remote nodes, 100 ticks) | "
      "value |\n|---|---|\n| bus messages | %zu |\n| remote frames / remote deliveries | "
      "%zu / %zu |\n| bus messages per delivered frame | %.5f |\n| bytes per delivery | "
      "%.1f |\n| batch + encode + decode CPU per remote frame | %.2f us |\n",
      messages, frames, deliveries, static_cast<double>(messages) / deliveries,
      static_cast<double>(bytes) / deliveries, codec_s * 1e6 / frames);
  return 0;
}
