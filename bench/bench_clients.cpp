// Benchmark helper: puts a server into a known state and holds it there while bench/*.sh
// measures the server process. Not a test and not shipped in roomctl.
//   idle         N identified, idle connections (app_opened, then nothing)
//   lobby-rooms  N spy rooms holding only their creator
//   spy-rooms    N spy rooms of P players with a game running
//   stroke-rooms N skribble rooms of P players; the drawer sends E drawing messages per room
//   presence     --count users brought online in waves of --wave (a wave is online when each of
//                its users got its users_online list), then --rooms spy rooms of --players of
//                those users set up, --inflight at a time (or --room-rate per second); prints
//                users/s per wave, rooms/s and presence frames received per user
//                (bench/presence.sh)
//   paced-strokes N skribble rooms of P players; READY once every room draws, then each drawer
//                sends E drawing messages at --rate per second; "DONE" once all were relayed
//   mixed-rooms  N rooms: every other one a spy lobby of one, the rest skribble rooms of two
//                drawing, each with a stroke log of E messages (READY once all were relayed)
//   held-rooms   N spy lobbies of P players, --inflight set up at a time; the creator (and so the
//                owner, in a cluster) on --port, the others round robin over --join-ports
//                (other cluster nodes; default --port) (bench/handover.sh)
// Prints "READY <what>" on stdout when the state is reached, then holds for --hold seconds.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "loadgen/bot_connection.hpp"
#include "loadgen/stats.hpp"

using namespace roomctl::loadgen;
namespace json = boost::json;

namespace {
struct Args {
  std::string mode = "idle", host = "127.0.0.1", prefix = "b", join_ports;
  int port = 8080, count = 1000, rooms = 100, players = 6, events = 1000, sources = 0, hold = 30;
  int wave = 1000, inflight = 8, connect_inflight = 100;
  double room_rate = 0;  // presence: rooms started per second (0: as fast as --inflight allows)
  double rate = 40;      // paced-strokes: drawing messages per second per room
};

std::string arg(int argc, char** argv, const char* name, std::string def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return def;
}

struct Bench {
  boost::asio::io_context ioc;
  Stats stats;
  Target target;
  std::vector<Target> join_targets;  // held-rooms: where the rooms' other players connect
  Args a;
  std::vector<std::shared_ptr<BotConnection>> conns;
  int pending = 0;
  unsigned source = 0;

  std::shared_ptr<BotConnection> open(const std::string& user,
                                      std::function<void(std::string_view)> on_msg,
                                      std::function<void()> connected,
                                      std::function<void()> failed = nullptr,
                                      const Target* to = nullptr) {
    std::string src =
        a.sources > 0 ? "127.0.0." + std::to_string(2 + source++ % static_cast<unsigned>(a.sources))
                      : "";
    auto c = std::make_shared<BotConnection>(ioc, stats, to ? *to : target, src, 10000);
    c->on_message = std::move(on_msg);
    conns.push_back(c);
    c->connect([c, user, connected, failed](bool ok) {
      if (!ok) {
        if (failed) return failed();
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
          },
          nullptr,
          p > 0 && !join_targets.empty()
              ? &join_targets[static_cast<std::size_t>(r + p - 1) % join_targets.size()]
              : nullptr);
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

  // --- presence: waves of users, then room setup, counting presence frames per user ---
  using Clock = std::chrono::steady_clock;
  struct User {
    std::string id;
    std::shared_ptr<BotConnection> conn;
    bool online = false;
    std::function<void(std::string_view)> on_reply;  // room phase: create/join responses
  };
  std::vector<User> users;
  std::uint64_t presence_frames = 0, presence_bytes = 0;
  int wave_left = 0, wave_size = 0, wave_end = 0, next_user = 0, next_room = 0, rooms_done = 0;
  int failed = 0;  // users whose connection failed three times
  Clock::time_point t0, phase_start, wave_start;

  static double secs(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  }
  void report(const char* phase, double seconds) {
    double n = static_cast<double>(users.size());
    std::printf(
        "PHASE %s seconds=%.2f presence_frames_per_user=%.2f presence_bytes_per_user=%.0f\n", phase,
        seconds, static_cast<double>(presence_frames) / n, static_cast<double>(presence_bytes) / n);
    std::fflush(stdout);
    presence_frames = presence_bytes = 0;
  }

  void presence() {
    users.resize(static_cast<std::size_t>(a.count));
    t0 = phase_start = Clock::now();
    start_wave();
  }

  // A wave opens at most --connect-inflight connections at once (a thousand SYNs at once
  // overflow loopback's backlog and stall on SYN retries, which would measure the kernel).
  void start_wave() {
    wave_end = std::min(a.count, next_user + a.wave);
    wave_left = wave_size = wave_end - next_user;
    wave_start = Clock::now();
    for (int k = 0; k < a.connect_inflight; ++k) connect_next();
  }

  void connect_next() {
    if (next_user >= wave_end) return;
    connect_user(static_cast<std::size_t>(next_user++), 3);
  }

  void connect_user(std::size_t i, int attempts) {
    users[i].id = a.prefix + "-p-" + std::to_string(i);
    users[i].conn = open(
        users[i].id,
        [this, i](std::string_view m) {
          User& u = users[i];
          // Every presence type starts with "user": users_online, user_status_change, ...
          if (m.find("\"type\":\"user") != std::string_view::npos) {
            ++presence_frames;
            presence_bytes += m.size();
            if (!u.online) {
              u.online = true;
              if (--wave_left == 0) wave_done();
            }
          } else if (u.on_reply) {
            auto reply = u.on_reply;  // the handler may clear itself
            reply(m);
          }
        },
        [this] { connect_next(); },
        [this, i, attempts] {
          if (attempts > 1) return connect_user(i, attempts - 1);
          ++failed;
          connect_next();
          if (--wave_left == 0) wave_done();
        });
  }

  void wave_done() {
    double s = secs(wave_start);
    std::printf("WAVE online_here=%d seconds=%.2f users_per_s=%.0f failed=%d\n", next_user, s,
                wave_size / s, failed);
    std::fflush(stdout);
    if (next_user < a.count) return start_wave();
    std::printf("ONLINE users=%d seconds=%.2f users_per_s=%.0f\n", a.count, secs(t0),
                a.count / secs(t0));
    report("waves", secs(phase_start));
    phase_start = Clock::now();
    a.rooms = std::min(a.rooms, a.count / a.players);
    if (a.rooms == 0) return hold_presence();
    if (a.room_rate > 0) return pace_rooms();
    for (int k = 0; k < a.inflight && next_room < a.rooms; ++k) start_room();
  }

  // Rooms at a fixed offered rate (users opening rooms at a lobby's pace), at most --inflight
  // at a time; a room the cap holds back waits for a later tick.
  void pace_rooms() {
    if (next_room >= a.rooms) return;
    if (next_room - rooms_done < a.inflight) start_room();
    auto t = std::make_shared<boost::asio::steady_timer>(
        ioc, std::chrono::microseconds(static_cast<std::int64_t>(1e6 / a.room_rate)));
    t->async_wait([this, t](boost::system::error_code) { pace_rooms(); });
  }

  // One spy room of a.players consecutive users: the first creates it, the others join.
  void start_room() {
    int r = next_room++;
    std::string room_id = a.prefix + "-proom-" + std::to_string(r);
    auto base = static_cast<std::size_t>(r * a.players);
    auto joined = std::make_shared<int>(0);
    for (int p = 1; p < a.players; ++p) {
      User& u = users[base + static_cast<std::size_t>(p)];
      u.on_reply = [this, joined, &u](std::string_view m) {
        if (m.find("join_room_response") == std::string_view::npos) return;
        u.on_reply = nullptr;
        if (++*joined == a.players - 1) room_done();
      };
    }
    User& creator = users[base];
    creator.on_reply = [this, base, room_id, &creator](std::string_view m) {
      if (m.find("create_room_response") == std::string_view::npos) return;
      creator.on_reply = nullptr;
      for (int p = 1; p < a.players; ++p) {
        User& u = users[base + static_cast<std::size_t>(p)];
        u.conn->send(json::serialize(json::object{{"EventFrom", "SpyGame"},
                                                  {"type", "join_room"},
                                                  {"userId", u.id},
                                                  {"roomId", room_id},
                                                  {"name", "p"}}));
      }
    };
    creator.conn->send(json::serialize(json::object{{"EventFrom", "SpyGame"},
                                                    {"type", "CREATE_ROOM"},
                                                    {"userId", creator.id},
                                                    {"roomId", room_id},
                                                    {"name", "p0"},
                                                    {"PlayerName", "p0"}}));
  }

  void room_done() {
    ++rooms_done;
    if (next_room < a.rooms && a.room_rate == 0) start_room();
    if (rooms_done < a.rooms) return;
    double s = secs(phase_start);
    std::printf("ROOMS rooms=%d seconds=%.2f rooms_per_s=%.1f\n", a.rooms, s, a.rooms / s);
    report("rooms", s);
    hold_presence();
  }

  // Holds the users online; the presence frames of the hold are what keeping them online costs.
  void hold_presence() {
    std::cout << "READY presence users=" << a.count << std::endl;
    phase_start = Clock::now();
    auto t = std::make_shared<boost::asio::steady_timer>(ioc, std::chrono::seconds(a.hold));
    t->async_wait([this, t](boost::system::error_code) {
      report("hold", secs(phase_start));
      ioc.stop();
    });
  }

  static std::string draw_message(const std::string& user, const std::string& room_id, int e) {
    json::array pts;
    for (int k = 0; k < 8; ++k) pts.push_back(json::array{e % 1600, (e * 7 + k) % 900});
    return json::serialize(json::object{{"EventFrom", "SkribbleGame"},
                                        {"type", "SKRIBBLE_DRAW"},
                                        {"userId", user},
                                        {"roomId", room_id},
                                        {"seq", e},
                                        {"points", std::move(pts)},
                                        {"color", 3}});
  }

  // Starts the game of a skribble room (the creator draws first); `drawing` runs when its first
  // SECOND_TIMER arrives, `relayed` each time the second member receives a drawing message.
  void start_drawing(std::vector<std::shared_ptr<BotConnection>>& members,
                     std::vector<std::string>& users, const std::string& room_id,
                     std::function<void()> drawing, std::function<void()> relayed) {
    auto drawer = members[0];
    std::string user = users[0];
    drawer->send(json::serialize(json::object{{"EventFrom", "SkribbleGame"},
                                              {"type", "SKRIBBLE_GAME_SETTINGS"},
                                              {"userId", user},
                                              {"roomId", room_id},
                                              {"settings", {{"drawtime", 240}, {"players", 20}}}}));
    drawer->send(json::serialize(json::object{{"EventFrom", "SkribbleGame"},
                                              {"type", "START_SKRIBBLE_GAME"},
                                              {"userId", user},
                                              {"roomId", room_id}}));
    auto started = std::make_shared<bool>(false);
    drawer->on_message = [started, drawing](std::string_view m) {
      if (*started || m.find("SECOND_TIMER") == std::string_view::npos) return;
      *started = true;
      drawing();
    };
    members[1]->on_message = [relayed](std::string_view m) {
      if (m.find("SKRIBBLE_DRAW") != std::string_view::npos) relayed();
    };
  }

  int drawing_left = 0;

  void paced_strokes() {
    pending = a.rooms;
    drawing_left = a.rooms;
    auto period = std::chrono::microseconds(static_cast<std::int64_t>(1e6 / a.rate));
    for (int r = 0; r < a.rooms; ++r)
      room(r, "skribble", a.players, [this, r, period](auto& members, auto& users) {
        std::string room_id = a.prefix + "-skribble-" + std::to_string(r);
        auto drawer = members[0];
        std::string user = users[0];
        auto got = std::make_shared<int>(0);
        auto timer = std::make_shared<boost::asio::steady_timer>(ioc);
        auto sent = std::make_shared<int>(0);
        auto tick = std::make_shared<std::function<void()>>();
        // Strokes leave on a fixed schedule (no drift): the n-th at start + n * period.
        *tick = [this, timer, sent, tick, period, drawer, user, room_id] {
          drawer->send(draw_message(user, room_id, (*sent)++));
          if (*sent >= a.events) return;
          timer->expires_at(timer->expiry() + period);
          timer->async_wait([tick](boost::system::error_code ec) {
            if (!ec) (*tick)();
          });
        };
        start_drawing(
            members, users, room_id,
            [this, timer, tick] {
              done_one("drawing rooms=" + std::to_string(a.rooms));
              timer->expires_after(std::chrono::milliseconds(0));
              (*tick)();
            },
            [this, got] {
              if (++*got == a.events && --drawing_left == 0)
                std::cout << "DONE strokes=" << a.rooms * a.events << std::endl;
            });
      });
  }

  // At most --inflight rooms being set up at once: a thousand rooms' connections opened at once
  // would overflow loopback's accept backlog and measure SYN retries.
  int held_next = 0;
  void held_rooms() {
    pending = a.rooms;
    for (int k = 0; k < a.inflight; ++k) held_room();
  }
  void held_room() {
    if (held_next >= a.rooms) return;
    room(held_next++, "spy", a.players, [this](auto&, auto&) {
      done_one("held rooms=" + std::to_string(a.rooms) + " players=" + std::to_string(a.players));
      held_room();
    });
  }

  void mixed_rooms() {
    pending = a.rooms;
    for (int r = 0; r < a.rooms; ++r) {
      std::string what =
          "mixed rooms=" + std::to_string(a.rooms) + " events=" + std::to_string(a.events);
      if (r % 2 == 0) {
        room(r, "spy", 1, [this, what](auto&, auto&) { done_one(what); });
        continue;
      }
      room(r, "skribble", 2, [this, r, what](auto& members, auto& users) {
        std::string room_id = a.prefix + "-skribble-" + std::to_string(r);
        auto drawer = members[0];
        std::string user = users[0];
        auto got = std::make_shared<int>(0);
        start_drawing(
            members, users, room_id,
            [this, drawer, user, room_id] {
              for (int e = 0; e < a.events; ++e) drawer->send(draw_message(user, room_id, e));
            },
            [this, got, what] {
              if (++*got == a.events) done_one(what);
            });
      });
    }
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
  b.a.inflight = std::stoi(arg(argc, argv, "--inflight", "8"));
  b.a.connect_inflight = std::stoi(arg(argc, argv, "--connect-inflight", "100"));
  b.a.room_rate = std::stod(arg(argc, argv, "--room-rate", "0"));
  b.a.rate = std::stod(arg(argc, argv, "--rate", "40"));
  b.a.join_ports = arg(argc, argv, "--join-ports", "");
  b.target = parse_target("ws://127.0.0.1:" + std::to_string(b.a.port) + "/");
  std::stringstream join_ports(b.a.join_ports);
  for (std::string p; std::getline(join_ports, p, ',');)
    b.join_targets.push_back(parse_target("ws://127.0.0.1:" + p + "/"));
  if (b.a.mode == "idle")
    b.idle();
  else if (b.a.mode == "lobby-rooms")
    b.lobby_rooms();
  else if (b.a.mode == "spy-rooms")
    b.spy_rooms();
  else if (b.a.mode == "stroke-rooms")
    b.stroke_rooms();
  else if (b.a.mode == "presence")
    b.presence();
  else if (b.a.mode == "paced-strokes")
    b.paced_strokes();
  else if (b.a.mode == "mixed-rooms")
    b.mixed_rooms();
  else if (b.a.mode == "held-rooms")
    b.held_rooms();
  else {
    std::cerr << "unknown --mode\n";
    return 2;
  }
  b.ioc.run();
  return 0;
}
