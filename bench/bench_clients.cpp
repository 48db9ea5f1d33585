// Benchmark helper: puts a server into a known state and holds it there while bench/*.sh
// measures the server process. Not a test and not shipped in roomctl.
//   idle         N identified, idle connections (app_opened, then nothing)
//   lobby-rooms  N spy rooms holding only their creator
//   spy-rooms    N spy rooms of P players with a game running
//   stroke-rooms N skribble rooms of P players; the drawer sends E drawing messages per room
//   online-waves N users brought online in waves of W (--wave); after each wave, once presence
//                is quiet, prints a WAVE line (users/s, presence frames received, the server's CPU
//                from /proc/--server-pid/stat); at each --checkpoints count it also sets up
//                --checkpoint-rooms skribble rooms of 8 from that wave's users (a CHECKPOINT line)
// Prints "READY <what>" on stdout when the state is reached, then holds for --hold seconds.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "loadgen/bot_connection.hpp"
#include "loadgen/stats.hpp"

using namespace roomctl::loadgen;
namespace json = boost::json;

namespace {
struct Args {
  std::string mode = "idle", host = "127.0.0.1", prefix = "b";
  int port = 8080, count = 1000, rooms = 100, players = 6, events = 1000, sources = 0, hold = 30;
  int wave = 1000, server_pid = 0, checkpoint_rooms = 10;
  std::set<int> checkpoints;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
// utime + stime of a process, in seconds (0 when it cannot be read).
double cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), {});
  auto close = stat.rfind(')');
  if (pid <= 0 || close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  double ut = 0, st = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) ut = std::stod(field);
    if (i == 15) st = std::stod(field);
  }
  return (ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}
bool is_presence(std::string_view m) {
  return m.find("\"users_online\"") != std::string_view::npos ||
         m.find("\"user_status_change\"") != std::string_view::npos ||
         m.find("\"user_offline\"") != std::string_view::npos ||
         m.find("\"users_offline\"") != std::string_view::npos;
}

std::string arg(int argc, char** argv, const char* name, std::string def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return def;
}

struct Bench {
  boost::asio::io_context ioc;
  Stats stats;
  Target target;
  Args a;
  std::vector<std::shared_ptr<BotConnection>> conns;
  int pending = 0;
  unsigned source = 0;

  std::shared_ptr<BotConnection> open(const std::string& user,
                                      std::function<void(std::string_view)> on_msg,
                                      std::function<void()> connected) {
    std::string src =
        a.sources > 0 ? "127.0.0." + std::to_string(2 + source++ % static_cast<unsigned>(a.sources))
                      : "";
    auto c = std::make_shared<BotConnection>(ioc, stats, target, src, 10000);
    c->on_message = std::move(on_msg);
    conns.push_back(c);
    c->connect([c, user, connected](bool ok) {
      if (!ok) {
        std::cerr << "connect failed for " << user << "\n";
        return;
      }
      c->send(json::serialize(
          json::object{{"EventFrom", "App"}, {"type", "app_opened"}, {"userId", user}}));
      connected();
    });
    return c;
  }

  void done_one(const std::string& what) {
    if (--pending == 0) {
      std::cout << "READY " << what << std::endl;
      auto t = std::make_shared<boost::asio::steady_timer>(ioc, std::chrono::seconds(a.hold));
      t->async_wait([this, t](boost::system::error_code) { ioc.stop(); });
    }
  }

  void idle() {
    pending = a.count;
    for (int i = 0; i < a.count; ++i) {
      std::string user = a.prefix + "-idle-" + std::to_string(i);
      // Ready once the server answered with the users_online list.
      auto seen = std::make_shared<bool>(false);
      open(
          user,
          [this, seen](std::string_view m) {
            if (!*seen && m.find("users_online") != std::string_view::npos) {
              *seen = true;
              done_one("idle connections=" + std::to_string(a.count));
            }
          },
          [] {});
    }
  }

  // One room: creator + joiners; `after_join` runs when everyone is in.
  void room(
      int r, const std::string& game, int players,
      std::function<void(std::vector<std::shared_ptr<BotConnection>>&, std::vector<std::string>&)>
          after_join) {
    auto members = std::make_shared<std::vector<std::shared_ptr<BotConnection>>>();
    auto users = std::make_shared<std::vector<std::string>>();
    auto joined = std::make_shared<int>(0);
    std::string room_id = a.prefix + "-" + game + "-" + std::to_string(r);
    bool spy = game == "spy";
    for (int p = 0; p < players; ++p) users->push_back(room_id + "-u" + std::to_string(p));
    auto on_joined = [=] {
      if (++*joined == players) after_join(*members, *users);
    };
    for (int p = 0; p < players; ++p) {
      std::string user = (*users)[static_cast<std::size_t>(p)];
      auto conn_ptr = std::make_shared<std::shared_ptr<BotConnection>>();
      auto c = open(
          user,
          [=](std::string_view m) {
            bool created = m.find("create_room_response") != std::string_view::npos;
            bool joined_ok = m.find("join_room_response") != std::string_view::npos;
            if (created && p == 0) {
              on_joined();
              for (int q = 1; q < players; ++q) {
                json::object j{{"EventFrom", spy ? "SpyGame" : "SkribbleGame"},
                               {"type", spy ? "join_room" : "JOIN_SKRIBBLE_ROOM"},
                               {"userId", (*users)[static_cast<std::size_t>(q)]},
                               {"roomId", room_id},
                               {"name", "p"}};
                (*members)[static_cast<std::size_t>(q)]->send(json::serialize(j));
              }
            } else if (joined_ok && p > 0) {
              on_joined();
            }
          },
          [=] {
            if (p != 0) return;
            json::object c{{"EventFrom", spy ? "SpyGame" : "SkribbleGame"},
                           {"type", spy ? "CREATE_ROOM" : "CREATE_SKRIBBLE_ROOM"},
                           {"userId", user},
                           {"roomId", room_id},
                           {"name", "p0"},
                           {"PlayerName", "p0"}};
            (*conn_ptr)->send(json::serialize(c));
          });
      *conn_ptr = c;
      members->push_back(c);
    }
  }

  void lobby_rooms() {
    pending = a.rooms;
    for (int r = 0; r < a.rooms; ++r)
      room(r, "spy", 1,
           [this](auto&, auto&) { done_one("lobby rooms=" + std::to_string(a.rooms)); });
  }

  void spy_rooms() {
    pending = a.rooms;
    for (int r = 0; r < a.rooms; ++r)
      room(r, "spy", a.players, [this, r](auto& members, auto& users) {
        std::string room_id = a.prefix + "-spy-" + std::to_string(r);
        for (std::size_t i = 0; i < members.size(); ++i)
          members[i]->send(json::serialize(json::object{{"EventFrom", "SpyGame"},
                                                        {"type", "ready"},
                                                        {"userId", users[i]},
                                                        {"roomId", room_id}}));
        done_one("spy rooms=" + std::to_string(a.rooms) + " players=" + std::to_string(a.players));
      });
  }

  void stroke_rooms() {
    pending = a.rooms;
    for (int r = 0; r < a.rooms; ++r)
      room(r, "skribble", a.players, [this, r](auto& members, auto& users) {
        std::string room_id = a.prefix + "-skribble-" + std::to_string(r);
        auto drawer = members[0];
        std::string user = users[0];
        members[0]->send(
            json::serialize(json::object{{"EventFrom", "SkribbleGame"},
                                         {"type", "SKRIBBLE_GAME_SETTINGS"},
                                         {"userId", user},
                                         {"roomId", room_id},
                                         {"settings", {{"drawtime", 240}, {"players", 20}}}}));
        members[0]->send(json::serialize(json::object{{"EventFrom", "SkribbleGame"},
                                                      {"type", "START_SKRIBBLE_GAME"},
                                                      {"userId", user},
                                                      {"roomId", room_id}}));
        // Wait for DRAWING (the first SECOND_TIMER to the drawer), then send the batch.
        auto started = std::make_shared<bool>(false);
        drawer->on_message = [this, drawer, user, room_id, started](std::string_view m) {
          if (*started || m.find("SECOND_TIMER") == std::string_view::npos) return;
          *started = true;
          for (int e = 0; e < a.events; ++e) {
            json::array pts;
            for (int k = 0; k < 8; ++k) pts.push_back(json::array{e % 1600, (e * 7 + k) % 900});
            drawer->send(json::serialize(json::object{{"EventFrom", "SkribbleGame"},
                                                      {"type", "SKRIBBLE_DRAW"},
                                                      {"userId", user},
                                                      {"roomId", room_id},
                                                      {"seq", e},
                                                      {"points", std::move(pts)},
                                                      {"color", 3}}));
          }
          // A final marker: when every other member got it, this room's messages were all relayed.
          done_one("stroke rooms=" + std::to_string(a.rooms) +
                   " events=" + std::to_string(a.events));
        };
      });
  }

  // online-waves: waves of a.wave users; a user is online once its own users_online list arrived.
  std::uint64_t presence_frames = 0;
  int online = 0;
  struct Wave {
    int first = 0, size = 0, arrived = 0;
    Clock::time_point t0;
    double cpu0 = 0, secs = 0;
    std::uint64_t frames0 = 0;
  } w;
  std::unique_ptr<boost::asio::steady_timer> quiet_timer;
  bool after_checkpoint = false, cp_fresh = false;
  std::vector<std::shared_ptr<BotConnection>> fresh;  // the fresh rooms' users
  struct Checkpoint {
    int rooms = 0;
    Clock::time_point t0;
    double cpu0 = 0;
    std::uint64_t frames0 = 0;
    double secs = 0;
  } cp;

  void online_waves() {
    quiet_timer = std::make_unique<boost::asio::steady_timer>(ioc);
    next_wave();
  }

  void next_wave() {
    if (online >= a.count) return done_presence();
    w = Wave{online,         std::min(a.wave, a.count - online), 0,
             Clock::now(),   cpu_seconds(a.server_pid),          0,
             presence_frames};
    for (int i = w.first; i < w.first + w.size; ++i) {
      auto seen = std::make_shared<bool>(false);
      open(
          a.prefix + "-p-" + std::to_string(i),
          [this, seen](std::string_view m) {
            if (!is_presence(m)) return;
            ++presence_frames;
            if (*seen || m.find("\"users_online\"") == std::string_view::npos) return;
            *seen = true;
            if (++w.arrived == w.size) {
              w.secs = seconds_since(w.t0);
              online += w.size;
              await_quiet(presence_frames, 0);
            }
          },
          [] {});
    }
  }

  // Presence is quiet when no presence frame arrived for 500 ms (5 checks of 100 ms).
  void await_quiet(std::uint64_t last, int still) {
    quiet_timer->expires_after(std::chrono::milliseconds(100));
    quiet_timer->async_wait([this, last, still](boost::system::error_code ec) {
      if (ec) return;
      if (presence_frames != last) return await_quiet(presence_frames, 0);
      if (still < 5) return await_quiet(last, still + 1);
      if (after_checkpoint) {
        after_checkpoint = false;
        std::printf(
            "%s online=%d rooms=%d secs=%.3f rooms_per_s=%.1f server_cpu_s=%.3f "
            "presence_frames=%llu\n",
            cp_fresh ? "CHECKPOINT_FRESH" : "CHECKPOINT", online, cp.rooms, cp.secs,
            cp.rooms / cp.secs, cpu_seconds(a.server_pid) - cp.cpu0,
            static_cast<unsigned long long>(presence_frames - cp.frames0));
        std::fflush(stdout);
        return cp_fresh ? next_wave() : fresh_rooms();
      }
      double cpu = cpu_seconds(a.server_pid) - w.cpu0;
      std::uint64_t frames = presence_frames - w.frames0;
      std::printf(
          "WAVE online=%d users=%d secs=%.3f users_per_s=%.0f frames=%llu "
          "frames_per_online_user=%.2f "
          "server_cpu_s=%.3f server_cpu_ms_per_user=%.3f\n",
          online, w.size, w.secs, w.size / w.secs, static_cast<unsigned long long>(frames),
          static_cast<double>(frames) / online, cpu, cpu / w.size * 1000);
      std::fflush(stdout);
      if (a.checkpoints.count(online) && a.checkpoint_rooms > 0)
        checkpoint_rooms();
      else
        next_wave();
    });
  }

  // Room setup with `online` users online, all rooms at once: first from this wave's users
  // (online already), then from new users who connect and create or join at once, as a load
  // test's bots do (a CHECKPOINT_FRESH line; those users stay online, outside the waves' count).
  void checkpoint_rooms() {
    cp_fresh = false;
    int rooms = std::min(a.checkpoint_rooms, w.size / 8);
    std::vector<std::shared_ptr<BotConnection>> members;
    std::vector<std::string> users;
    for (int i = 0; i < rooms * 8; ++i) {
      members.push_back(conns[static_cast<std::size_t>(w.first + i)]);
      users.push_back(a.prefix + "-p-" + std::to_string(w.first + i));
    }
    setup_rooms(members, users, "room");
  }

  void fresh_rooms() {
    cp_fresh = true;
    int rooms = cp.rooms;
    std::vector<std::shared_ptr<BotConnection>> members;
    std::vector<std::string> users;
    for (int i = 0; i < rooms * 8; ++i) {
      users.push_back(a.prefix + "-n" + std::to_string(online) + "-" + std::to_string(i));
      members.push_back(open(
          users.back(), [](std::string_view) {}, [] {}));
      fresh.push_back(members.back());
      conns.pop_back();  // conns[i] stays user i of the waves
    }
    setup_rooms(members, users, "fresh");
  }

  void setup_rooms(std::vector<std::shared_ptr<BotConnection>> members,
                   std::vector<std::string> users, const std::string& tag) {
    int rooms = static_cast<int>(members.size()) / 8;
    if (rooms == 0) return next_wave();
    auto left = std::make_shared<int>(rooms * 7);
    cp = Checkpoint{rooms, Clock::now(), cpu_seconds(a.server_pid), presence_frames, 0};
    auto all_done = [this, left] {
      if (--*left > 0) return;
      cp.secs = seconds_since(cp.t0);
      after_checkpoint = true;  // the line once presence is quiet, then what comes next
      await_quiet(presence_frames, 0);
    };
    auto m = std::make_shared<std::vector<std::shared_ptr<BotConnection>>>(std::move(members));
    auto u = std::make_shared<std::vector<std::string>>(std::move(users));
    for (int r = 0; r < rooms; ++r) {
      std::string room_id = a.prefix + "-" + tag + std::to_string(online) + "-" + std::to_string(r);
      for (int p = 0; p < 8; ++p) {
        auto idx = static_cast<std::size_t>(r * 8 + p);
        (*m)[idx]->on_message = [this, p, r, m, u, room_id, all_done](std::string_view msg) {
          if (is_presence(msg)) ++presence_frames;
          if (p == 0 && msg.find("create_room_response") != std::string_view::npos) {
            for (int q = 1; q < 8; ++q) {
              auto j = static_cast<std::size_t>(r * 8 + q);
              (*m)[j]->send(json::serialize(json::object{{"EventFrom", "SkribbleGame"},
                                                         {"type", "JOIN_SKRIBBLE_ROOM"},
                                                         {"userId", (*u)[j]},
                                                         {"roomId", room_id},
                                                         {"name", "p"}}));
            }
          } else if (p > 0 && msg.find("join_room_response") != std::string_view::npos) {
            all_done();
          }
        };
        if (p == 0)
          (*m)[idx]->send(json::serialize(json::object{{"EventFrom", "SkribbleGame"},
                                                       {"type", "CREATE_SKRIBBLE_ROOM"},
                                                       {"userId", (*u)[idx]},
                                                       {"roomId", room_id},
                                                       {"PlayerName", "p0"}}));
      }
    }
  }

  void done_presence() {
    pending = 1;
    done_one("presence online=" + std::to_string(online));
  }
};
}  // namespace

int main(int argc, char** argv) {
  Bench b;
  b.a.mode = arg(argc, argv, "--mode", "idle");
  b.a.port = std::stoi(arg(argc, argv, "--port", "8080"));
  b.a.count = std::stoi(arg(argc, argv, "--count", "1000"));
  b.a.rooms = std::stoi(arg(argc, argv, "--rooms", "100"));
  b.a.players = std::stoi(arg(argc, argv, "--players", "6"));
  b.a.events = std::stoi(arg(argc, argv, "--events", "1000"));
  b.a.sources = std::stoi(arg(argc, argv, "--sources", "0"));
  b.a.hold = std::stoi(arg(argc, argv, "--hold", "30"));
  b.a.prefix = arg(argc, argv, "--prefix", "b");
  b.a.wave = std::stoi(arg(argc, argv, "--wave", "1000"));
  b.a.server_pid = std::stoi(arg(argc, argv, "--server-pid", "0"));
  b.a.checkpoint_rooms = std::stoi(arg(argc, argv, "--checkpoint-rooms", "10"));
  std::stringstream cps(arg(argc, argv, "--checkpoints", ""));
  for (std::string c; std::getline(cps, c, ',');)
    if (!c.empty()) b.a.checkpoints.insert(std::stoi(c));
  b.target = parse_target("ws://127.0.0.1:" + std::to_string(b.a.port) + "/");
  if (b.a.mode == "idle")
    b.idle();
  else if (b.a.mode == "lobby-rooms")
    b.lobby_rooms();
  else if (b.a.mode == "spy-rooms")
    b.spy_rooms();
  else if (b.a.mode == "stroke-rooms")
    b.stroke_rooms();
  else if (b.a.mode == "online-waves")
    b.online_waves();
  else {
    std::cerr << "unknown --mode\n";
    return 2;
  }
  b.ioc.run();
  return 0;
}
