// Benchmark driver of bench/failover.sh: one kill -9 failover of a running skribble game on a
// running cluster. Not a test and not shipped in roomctl; it scripts real players the way the
// integration tests do (tests/integration Player: every message kept, taken per type in order).
//   1. --players players, player i on node i % 3 (player 0, the creator and first drawer, on the
//      owner, node 0); a one-round game starts; player 1 guesses the word (a score to keep).
//   2. Once the snapshot is written and not before --not-before (epoch ms: the nodes' leases have
//      been held long enough to be trusted, as in a cluster that has been up a while), SIGKILL to
//      --owner-pid; at once the owner's players reconnect to node 1 (as a load balancer sends
//      them).
//   3. Every player waits for its fresh ROOM_STATE: the game continues once the last one has it.
//      The state must be the same turn (drawer, word for the drawer, the guesser's score), and the
//      turn must go on (the other players' guesses end it, the first and the last guesser scored).
// Prints one line: FAILOVER ok=1 kill_ms=K reconnect_ms=R  (or ok=0 why="...").
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>

#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
std::string arg(int argc, char** argv, const char* name, std::string def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return def;
}

struct Failed {
  std::string why;
};
void need(bool ok, const std::string& why) {
  if (!ok) throw Failed{why};
}

std::int64_t wait_tick(Player& p, std::int64_t t) {
  while (auto m = p.next("SECOND_TIMER", 10s))
    if (m->at("time").as_int64() >= t) return m->at("time").as_int64();
  throw Failed{"no SECOND_TIMER reached " + std::to_string(t)};
}

long long ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

void run(const std::vector<std::uint16_t>& ports, pid_t owner, const std::string& room, int n,
         std::int64_t not_before_ms) {
  std::vector<std::unique_ptr<Player>> ps;
  for (int i = 0; i < n; ++i)
    ps.push_back(std::make_unique<Player>(ports[static_cast<std::size_t>(i) % ports.size()],
                                          room + "-p" + std::to_string(i)));
  ps[0]->skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", room}, {"PlayerName", "P0"}});
  auto created = ps[0]->next("create_room_response");
  need(created && created->at("status") == true, "create refused");
  for (int i = 1; i < n; ++i) {
    ps[i]->skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", room}, {"name", "P" + std::to_string(i)}});
    auto joined = ps[i]->next("join_room_response");
    need(joined && joined->at("status") == true, "join refused");
  }
  ps[0]->skribble("SKRIBBLE_GAME_SETTINGS",
                  {{"roomId", room}, {"settings", {{"rounds", 1}, {"drawtime", 60}}}});
  need(ps[1]->next("SKRIBBLE_GAME_SETTINGS").has_value(), "settings not relayed");
  ps[0]->skribble("START_SKRIBBLE_GAME", {{"roomId", room}});
  auto word = ps[0]->next("WORD", 15s);
  need(word.has_value(), "no WORD for the drawer");
  std::string w = str(*word, "word");
  wait_tick(*ps[1], 1);
  ps[1]->skribble("SKRIBBLE_MESSAGE", {{"roomId", room}, {"message", w}});
  need(ps[n - 1]->next("WORD_MATCHED").has_value(), "guess not relayed");
  std::this_thread::sleep_for(300ms);  // the snapshot with the guess is written (flush 50 ms)
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  if (auto wait = not_before_ms - now_ms(); wait > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  for (auto& p : ps) p->skip_all("ROOM_STATE");

  auto killed = Clock::now();
  need(::kill(owner, SIGKILL) == 0, "kill failed");
  for (int i = 0; i < n; i += static_cast<int>(ports.size())) {
    std::string id = ps[i]->user;
    ps[i] = std::make_unique<Player>(ports[1], id);
    ps[i]->send({{"EventFrom", "App"}, {"type", "app_opened"}});
  }
  auto reconnected = Clock::now();
  std::vector<boost::json::object> states;
  for (auto& p : ps) {
    auto st = p->next("ROOM_STATE", 20s);
    need(st.has_value(), "no ROOM_STATE for " + p->user + " within 20 s of the kill");
    states.push_back(*st);
  }
  auto resumed = Clock::now();
  for (auto& st : states) {
    need(str(st, "drawer") == room + "-p0", "drawer changed: " + str(st, "drawer"));
    need(str(st, "phase") == "drawing", "phase changed: " + str(st, "phase"));
    for (const auto& pl : st.at("players").as_array())
      if (str(pl.as_object(), "userId") == room + "-p1")
        need(pl.at("guessed") == true && pl.at("score").as_int64() > 0, "the guess was lost");
  }
  need(str(states[0], "word") == w, "the drawer's word changed");
  for (int i = 2; i < n; ++i)
    ps[i]->skribble("SKRIBBLE_MESSAGE", {{"roomId", room}, {"message", w}});
  auto end = ps[1]->next("ROUND_END", 15s);
  need(end.has_value(), "the turn did not end after the last guess");
  need(end->at("roundScore").at(room + "-p1").as_int64() > 0 &&
           end->at("roundScore").at(room + "-p" + std::to_string(n - 1)).as_int64() > 0,
       "a guesser's points are missing at the turn's end");
  std::printf("FAILOVER ok=1 kill_ms=%lld reconnect_ms=%lld\n", ms(resumed - killed),
              ms(resumed - reconnected));
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::uint16_t> ports;
  std::stringstream list(arg(argc, argv, "--ports", ""));
  for (std::string p; std::getline(list, p, ',');)
    ports.push_back(static_cast<std::uint16_t>(std::stoi(p)));
  auto owner = static_cast<pid_t>(std::stol(arg(argc, argv, "--owner-pid", "0")));
  int n = std::stoi(arg(argc, argv, "--players", "4"));
  if (ports.size() < 2 || owner <= 0 || n < 3) {
    std::fprintf(stderr,
                 "usage: failover_driver --ports OWNER,P1[,P2] --owner-pid PID [--players N>=3] "
                 "[--room ID] [--not-before EPOCH_MS]\n");
    return 2;
  }
  try {
    run(ports, owner, arg(argc, argv, "--room", "fo"), n,
        std::stoll(arg(argc, argv, "--not-before", "0")));
  } catch (const Failed& f) {
    std::printf("FAILOVER ok=0 why=\"%s\"\n", f.why.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::printf("FAILOVER ok=0 why=\"%s\"\n", e.what());
    return 1;
  }
  return 0;
}
