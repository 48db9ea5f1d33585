// What on-call sees of a live server: inspect's tables keep whole IDs and read as key=value,
// --watch survives an outage on screen and streams JSON lines into a pipe, 403 has its own exit
// code, numbers are plain; /metrics has the standard process_* series and the build labels;
// log.format=json; the systemd notify messages on a real notify socket.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/server_process.hpp"
#include "tests/integration/test_support.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `roomctl inspect ARGS --server ...`; with stdout_only, stderr is dropped (a pipe into jq).
int inspect(std::uint16_t admin, const std::string& args, std::string& out,
            bool stdout_only = false) {
  std::string cmd = std::string(ROOMCTL_BINARY) + " inspect " + args +
                    " --server http://127.0.0.1:" + std::to_string(admin) +
                    (stdout_only ? " 2>/dev/null" : " 2>&1");
  return run_command({"sh", "-c", cmd}, out);
}

// A unix datagram socket bound to `name` (a path, or '@' + an abstract name).
struct NotifySocket {
  int fd = -1;
  explicit NotifySocket(const std::string& name) {
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@')
      addr.sun_path[0] = '\0';
    else
      unlink(name.c_str());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { close(fd); }
  std::string receive() {
    char buf[1024];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
};
}  // namespace

TEST_CASE("inspect: whole IDs, settings as key=value, rooms by game as words", "[inspect]") {
  ServerProcess server;
  std::string long_room = "lt16745x13016w0r1u-a-room-id-longer-than-any-column";
  std::string long_user = "user-with-a-very-long-identifier-0123456789";
  Player host(server.port(), long_user);
  host.spy("CREATE_ROOM", {{"roomId", long_room}, {"name", "H"}});
  REQUIRE(host.next("create_room_response"));
  Player k(server.port(), "k1");
  k.skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", "sk"}, {"PlayerName", "K"}});
  REQUIRE(k.next("create_room_response"));
  std::string out;
  REQUIRE(inspect(server.admin_port(), "rooms", out) == 0);
  CHECK(has(out, long_room + " "));
  out.clear();
  REQUIRE(inspect(server.admin_port(), "rooms -o wide", out) == 0);
  CHECK(has(out, "JOINABLE"));
  CHECK(has(out, long_room));
  out.clear();
  REQUIRE(inspect(server.admin_port(), "room " + long_room, out) == 0);
  CHECK(has(out, long_user + " "));
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex("settings +(.*)")));
  CHECK(has(m[1].str(), "="));
  CHECK_FALSE(has(m[1].str(), "{"));
  out.clear();
  REQUIRE(inspect(server.admin_port(), "stats", out) == 0);
  CHECK(has(out, "skribble 1, spy 1"));
  CHECK(std::regex_search(out, std::regex("roomctl [0-9.]+ \\((?:[0-9a-f]+|unknown)\\), up")));
}

TEST_CASE("inspect: -o json and yaml print plain numbers", "[inspect]") {
  ServerProcess server({"limits.messages_per_second=30", "games.time_scale=0.05"});
  // A number value in exponent form ("3E1", "5e-02"): right after a key, a list start or a comma,
  // and ending the token. Strings such as a commit hash ("6a1998e3...") are not values of this
  // shape.
  const std::regex exponent(
      R"((:|\n\s*-|\[|,)\s*-?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+(\s|,|\]|\}|$))");
  CHECK(std::regex_search(std::string("{\"a\": 3E1}"), exponent));  // the check itself works
  CHECK(std::regex_search(std::string("limit: 5e-02\n"), exponent));
  CHECK_FALSE(std::regex_search(std::string("commit: 6a1998e3ab\n"), exponent));
  std::string out;
  REQUIRE(inspect(server.admin_port(), "stats -o yaml", out, true) == 0);
  CHECK_FALSE(std::regex_search(out, exponent));
  out.clear();
  REQUIRE(inspect(server.admin_port(), "stats -o json", out, true) == 0);
  CHECK_FALSE(std::regex_search(out, exponent));
  CHECK(json::parse(out).is_object());
}

TEST_CASE("inspect --watch: JSON lines on stdout, banners on stderr, errors kept", "[inspect]") {
  ServerProcess server;
  std::string out;
  REQUIRE(inspect(server.admin_port(), "stats -w --interval 100ms --count 3 -o json", out, true) ==
          0);
  std::istringstream lines(out);
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) CHECK(json::parse(line).is_object());
  CHECK(n == 3);
  // The banner (with the time) goes to stderr only.
  out.clear();
  REQUIRE(inspect(server.admin_port(), "stats -w --interval 100ms --count 1 -o json", out) == 0);
  CHECK(std::regex_search(out, std::regex("roomctl inspect: [0-9]{4}-[0-9]{2}-[0-9]{2} ")));
  // A server that goes away: every redraw reports the error with its time, the watch goes on.
  std::uint16_t admin = server.admin_port();
  server.signal(SIGKILL);
  server.wait();
  out.clear();
  CHECK(inspect(admin, "stats -w --interval 100ms --count 2", out) == 1);
  CHECK(std::regex_search(out, std::regex("[0-9]{2}:[0-9]{2}:[0-9]{2} .*error: cannot reach")));
}

TEST_CASE("inspect: 403 exits 7", "[inspect]") {
  ServerProcess server({"admin.token=tok"});
  Player k(server.port(), "k1");
  k.skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", "sk"}, {"PlayerName", "K"}});
  REQUIRE(k.next("create_room_response"));
  std::string out;
  CHECK(inspect(server.admin_port(), "room sk --reveal --token tok", out) == 7);
  CHECK(has(out, "forbidden"));
}

TEST_CASE("metrics: standard process series and build labels", "[metrics]") {
  ServerProcess server({}, "", {"prlimit", "--nofile=4000:4000", "--"});
  std::string m = server.metrics();
  for (const char* name :
       {"process_resident_memory_bytes ", "process_virtual_memory_bytes ", "process_open_fds ",
        "process_cpu_seconds_total ", "process_start_time_seconds "})
    CHECK(has(m, std::string("\n") + name));
  CHECK(server.metric("process_max_fds") == 4000);
  CHECK(server.metric("process_open_fds") > 3);
  // The start time keeps sub-second precision (it printed as 1.76e+09 before).
  CHECK(std::regex_search(m, std::regex("\nprocess_start_time_seconds [0-9]{10}(\\.[0-9]+)?\n")));
  CHECK(std::regex_search(m, std::regex("roomctl_build_info\\{version=\"[^\"]+\",commit=\"[^\"]+\","
                                        "build_type=\"[^\"]*\",compiler=\"[^\"]+\",boost=\"1\\.")));
}

TEST_CASE("serve: log.format=json writes one JSON object per line", "[cli]") {
  ServerProcess server({"log.format=json"});
  server.signal(SIGTERM);
  CHECK(server.wait() == 0);
  std::istringstream lines(server.log());
  int events = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    INFO(line);
    auto o = json::parse(line).as_object();
    CHECK(o.contains("ts"));
    CHECK(o.contains("level"));
    if (o.at("event") == "server_listening") CHECK(o.contains("admin"));
    ++events;
  }
  CHECK(events >= 3);
}

TEST_CASE("serve: systemd notify READY=1 once listening, STOPPING=1 on drain", "[cli]") {
  for (std::string name : {std::string("/tmp/roomctl-notify-") + std::to_string(getpid()),
                           std::string("@roomctl-notify-") + std::to_string(getpid())}) {
    INFO(name);
    NotifySocket sock(name);
    setenv("NOTIFY_SOCKET", name.c_str(), 1);
    ServerProcess server;
    unsetenv("NOTIFY_SOCKET");
    std::string ready = sock.receive();
    CHECK(has(ready, "READY=1"));
    CHECK(has(ready, "MAINPID=" + std::to_string(server.pid())));
    // READY=1 comes after both listeners are bound: the admin port answers at once.
    CHECK(http_get(server.admin_port(), "/readyz").status == 200);
    server.signal(SIGTERM);
    CHECK(has(sock.receive(), "STOPPING=1"));
    CHECK(server.wait() == 0);
    if (name[0] == '/') unlink(name.c_str());
  }
}

TEST_CASE("inspect --watch on a terminal keeps the last screen and the error with its time",
          "[inspect]") {
  ServerProcess server;
  std::string out;
  // script(1) gives inspect a terminal; the server dies while it watches.
  std::string cmd = std::string(ROOMCTL_BINARY) + " inspect stats -w --interval 300ms --count 6" +
                    " --server http://127.0.0.1:" + std::to_string(server.admin_port());
  std::thread watcher([&] { run_command({"script", "-qfec", cmd, "/dev/null"}, out); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  server.signal(SIGKILL);
  server.wait();
  watcher.join();
  auto last = out.rfind("\033[H\033[2J");  // the last redraw
  REQUIRE(last != std::string::npos);
  std::string screen = out.substr(last);
  INFO(screen);
  CHECK(std::regex_search(screen, std::regex("Every 300ms: roomctl inspect stats +[0-9-]+ "
                                             "[0-9:]+")));
  CHECK(std::regex_search(screen, std::regex("ERROR [0-9-]+ [0-9:]+ [A-Z]*: cannot reach")));
  CHECK(screen.find("Node ") != std::string::npos);  // the last good answer stays under it
}
