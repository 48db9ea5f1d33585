// BalancerProcess: fork/exec of haproxy or nginx with the repository's deploy/ recipe, output in
// the temporary directory; stopped with SIGTERM (nginx's workers outlive a killed master).
#include "tests/integration/balancer_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/integration/redis_process.hpp"
#include "tests/integration/server_process.hpp"

extern char** environ;

namespace roomctl::test {

namespace fs = std::filesystem;

const char* balancer_name(Balancer b) {
  switch (b) {
    case Balancer::haproxy:
      return "haproxy";
    case Balancer::nginx:
      return "nginx";
    case Balancer::none:
      break;
  }
  return "none";
}

std::string find_program(const std::string& name) {
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/sbin:/usr/local/sbin";
  std::istringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty()) continue;
    std::string path = dir + "/" + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string loopback(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

std::string require_program(const std::string& name) {
  auto path = find_program(name);
  if (path.empty()) throw std::runtime_error(name + " not found (scripts/install-deps.sh)");
  return path;
}

}  // namespace

BalancerProcess::BalancerProcess(Balancer kind, std::vector<Node> nodes, int check_interval_ms)
    : kind_(kind) {
  if (nodes.size() != 3) throw std::runtime_error("the recipes front exactly three nodes");
  auto tmpl = (fs::temp_directory_path() / "roomctl-lb-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // nginx's workers drop root for nobody; they must reach their temp directories.
  chmod(dir_.c_str(), 0755);
  port_ = free_port();
  try {
    if (kind == Balancer::haproxy) start_haproxy(nodes, check_interval_ms);
    if (kind == Balancer::nginx) start_nginx(nodes);
    wait_ready(nodes);
  } catch (...) {
    stop();
    throw;
  }
}

BalancerProcess::~BalancerProcess() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void BalancerProcess::start_haproxy(const std::vector<Node>& nodes, int check_interval_ms) {
  stats_port_ = free_port();
  std::vector<std::string> env{
      "ROOMCTL_LB_LISTEN=" + loopback(port_),
      "ROOMCTL_LB_STATS=" + loopback(stats_port_),
      "ROOMCTL_LB_SOCKET=" + dir_ + "/admin.sock",
      "ROOMCTL_LB_LOG=stdout",
      "ROOMCTL_LB_MAXCONN=2000",
      "ROOMCTL_LB_CHECK_INTER=" + std::to_string(check_interval_ms) + "ms",
      // A check slowed by a loaded test machine is no failure; a hung node still fails in 2 s.
      "ROOMCTL_LB_CHECK_TIMEOUT=1s",
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto n = "ROOMCTL_NODE" + std::to_string(i + 1);
    env.push_back(n + "=" + loopback(nodes[i].port));
    env.push_back(n + "_ADMIN_PORT=" + std::to_string(nodes[i].admin_port));
  }
  auto cfg = std::string(ROOMCTL_SOURCE_DIR) + "/deploy/haproxy.cfg";
  // -db: stay in the foreground, logs on stdout.
  spawn({require_program("haproxy"), "-db", "-f", cfg}, env);
}

void BalancerProcess::start_nginx(const std::vector<Node>& nodes) {
  auto conf = read_text(std::string(ROOMCTL_SOURCE_DIR) + "/deploy/nginx.conf");
  conf = replace_all(conf, "@LISTEN@", loopback(port_));
  for (std::size_t i = 0; i < nodes.size(); ++i)
    conf = replace_all(conf, "@NODE" + std::to_string(i + 1) + "@", loopback(nodes[i].port));
  std::smatch left;  // a placeholder this harness does not know
  if (std::regex_search(conf, left, std::regex("@[A-Z0-9_]+@")))
    throw std::runtime_error("deploy/nginx.conf: placeholder " + left.str() + " not substituted");
  fs::create_directories(dir_ + "/logs");
  fs::create_directories(dir_ + "/temp");
  auto path = dir_ + "/nginx.conf";
  std::ofstream(path) << conf;
  auto nginx = require_program("nginx");
  std::string out;
  if (run_command({nginx, "-t", "-e", "stderr", "-p", dir_, "-c", path}, out) != 0)
    throw std::runtime_error("nginx -t refused the recipe: " + out);
  spawn({nginx, "-e", "stderr", "-p", dir_, "-c", path, "-g", "daemon off;"}, {});
}

void BalancerProcess::spawn(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env) {
  // Built before fork: the child only calls async-signal-safe functions.
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> envp, args;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);
  auto log_path = dir_ + "/output.log";
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + log_path);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(fd);
}

void BalancerProcess::wait_ready(const std::vector<Node>& nodes) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  auto ready = [&] {
    if (kind_ == Balancer::nginx) return http_get(port_, "/").status == 200;  // a node's hello
    if (http_get(stats_port_, "/healthz").status != 200) return false;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (server_status(static_cast<int>(i)) != "UP") return false;
    return true;
  };
  while (!ready()) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(std::string(balancer_name(kind_)) + " exited: " + log());
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(std::string(balancer_name(kind_)) + " not ready: " + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void BalancerProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);  // both: fast shutdown, open connections closed
  int status;
  for (int i = 0; i < 250; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string BalancerProcess::server_status(int i, const std::string& backend) const {
  if (kind_ != Balancer::haproxy) return "";
  auto csv = http_get(stats_port_, "/stats;csv");
  if (csv.status != 200) return "";
  std::istringstream in(csv.body);
  std::string header;
  std::getline(in, header);
  auto split = [](const std::string& line) {
    std::vector<std::string> cols;
    std::istringstream row(line);
    for (std::string c; std::getline(row, c, ',');) cols.push_back(c);
    return cols;
  };
  auto names = split(header.rfind("# ", 0) == 0 ? header.substr(2) : header);
  std::size_t status_col = 0;
  while (status_col < names.size() && names[status_col] != "status") ++status_col;
  auto server = "n" + std::to_string(i + 1);
  for (std::string line; std::getline(in, line);) {
    auto cols = split(line);
    if (cols.size() > status_col && cols[0] == backend && cols[1] == server)
      return cols[status_col];
  }
  return "";
}

bool BalancerProcess::wait_status(int i, const std::string& status, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (server_status(i) != status) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string BalancerProcess::log() const {
  auto text = read_text(dir_ + "/output.log");
  if (kind_ == Balancer::nginx) text += read_text(dir_ + "/logs/error.log");
  return text;
}

}  // namespace roomctl::test
