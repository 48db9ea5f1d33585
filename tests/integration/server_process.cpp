// ServerProcess: fork/exec of the real binary with its log in a temporary file.
#include "tests/integration/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace roomctl::test {

namespace beast = boost::beast;
namespace http = beast::http;

HttpReply http_get(std::uint16_t port, const std::string& target, const std::string& auth) {
  if (auth.empty()) return http_request(port, "GET", target);
  return http_request(port, "GET", target, {{"Authorization", auth}});
}

HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpReply r;
  try {
    boost::asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    r.status = res.result_int();
    r.body = res.body();
  } catch (const std::exception&) {
    r.status = 0;
  }
  return r;
}

ServerProcess::ServerProcess(std::vector<std::string> extra, std::string profile,
                             std::vector<std::string> wrapper) {
  char tmpl[] = "/tmp/roomctl-test-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  log_path_ = tmpl;
  std::vector<std::string> args{ROOMCTL_BINARY, "serve"};
  if (!profile.empty()) args.insert(args.end(), {"--profile", profile});
  for (const char* s :
       {"server.listen=127.0.0.1:0", "admin.listen=127.0.0.1:0", "server.threads=2"})
    args.insert(args.end(), {"--set", s});
  bool has_store = false;
  for (auto& e : extra) {
    args.insert(args.end(), {"--set", e});
    has_store = has_store || e.rfind("store.url=", 0) == 0;
  }
  if (!has_store) args.insert(args.end(), {"--set", "store.url=memory://"});
  args.insert(args.begin(), wrapper.begin(), wrapper.end());

  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(fd);

  // The text line or, with log.format=json, the JSON object.
  std::regex re(
      R"(server_listening(?: public=|","public":")[0-9.]+:(\d+)(?: admin=|","admin":")[0-9.]+:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string text = log();
    if (std::regex_search(text, m, re)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      admin_port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
      return;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      throw std::runtime_error("roomctl serve exited early: " + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("roomctl serve did not start: " + log());
}

ServerProcess::~ServerProcess() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  unlink(log_path_.c_str());
}

void ServerProcess::signal(int sig) {
  ::kill(pid_, sig);
}

int ServerProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double ServerProcess::metric(const std::string& sample) const {
  std::istringstream in(metrics());
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  }
  return -1;
}

int run_command(const std::vector<std::string>& argv, std::string& output) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) output.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace roomctl::test
