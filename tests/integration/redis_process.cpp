// RedisProcess: fork/exec of redis-server, readiness by PING.
#include "tests/integration/redis_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/integration/server_process.hpp"

namespace roomctl::test {

std::uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

RedisProcess::RedisProcess(std::vector<std::string> args)
    : port_(free_port()), args_(std::move(args)) {
  start();
}

RedisProcess::~RedisProcess() {
  stop();
}

void RedisProcess::start() {
  pid_ = fork();
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<std::string> args{"redis-server"};
    args.insert(args.end(), args_.begin(), args_.end());
    args.insert(args.end(), {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--protected-mode", "no"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("redis-server", argv.data());
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (cli("PING").find("PONG") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
}

void RedisProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string RedisProcess::cli(const std::string& args) const {
  std::string out;
  run_command({"sh", "-c", "redis-cli -p " + std::to_string(port_) + " " + args}, out);
  return out;
}

}  // namespace roomctl::test
