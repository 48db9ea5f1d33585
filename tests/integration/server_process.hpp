// Test harness: starts the real `roomctl serve` binary on free ports (port 0; the ports are read
// from its `server_listening` log line), talks HTTP to it, signals it and collects its exit code.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace roomctl::test {

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply http_get(std::uint16_t port, const std::string& target, const std::string& auth = "");
// Any method with any headers ({name, value}), e.g. a POST carrying an Origin.
HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {});

class ServerProcess {
 public:
  // extra: additional `--set key=value` overrides; wrapper: a command the server runs under
  // (e.g. {"prlimit", "--nofile=64:64", "--"}).
  explicit ServerProcess(std::vector<std::string> extra = {}, std::string profile = "",
                         std::vector<std::string> wrapper = {});
  ~ServerProcess();

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for exit; returns the exit status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  std::string log() const;
  std::string metrics() const { return http_get(admin_port_, "/metrics").body; }
  // Value of one sample line ("name{labels}") in /metrics, or -1 when absent.
  double metric(const std::string& sample) const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::uint16_t port_ = 0, admin_port_ = 0;
  bool exited_ = false;
};

// Runs a command, returns its exit status and combined output.
int run_command(const std::vector<std::string>& argv, std::string& output);

}  // namespace roomctl::test
