// SentinelGroup: config files, start order (master, replica, sentinels) and readiness.
#include "tests/integration/sentinel_group.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/integration/test_support.hpp"

namespace roomctl::test {

namespace {
// A field of `SENTINEL master m` in redis-cli's raw output (name and value on alternate lines).
std::string master_field(const RedisProcess& sentinel, const std::string& name) {
  std::string out = sentinel.cli("--raw SENTINEL master m");
  std::size_t at = 0;
  while (at < out.size()) {
    auto end = out.find('\n', at);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(at, end - at);
    at = end + 1;
    if (line == name) {
      auto next = out.find('\n', at);
      return out.substr(at, next == std::string::npos ? std::string::npos : next - at);
    }
  }
  return "";
}
}  // namespace

SentinelGroup::SentinelGroup() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "roomctl-sentinel-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // No delay before the replica's first sync (diskless by default: 5 s otherwise).
  // The replica writes the RDB it syncs from: into the temporary directory, not the cwd.
  master_ = std::make_unique<RedisProcess>(
      std::vector<std::string>{"--dir", dir_, "--repl-diskless-sync-delay", "0"});
  replica_ = std::make_unique<RedisProcess>(std::vector<std::string>{
      "--dir", dir_, "--replicaof", "127.0.0.1", std::to_string(master_->port())});
  for (int i = 0; i < 3; ++i) {
    std::string conf = dir_ + "/sentinel" + std::to_string(i) + ".conf";
    std::ofstream(conf) << "sentinel monitor m 127.0.0.1 " << master_->port() << " 2\n"
                        << "sentinel down-after-milliseconds m 1000\n"
                        << "sentinel failover-timeout m 2000\n";
    sentinels_.push_back(
        std::make_unique<RedisProcess>(std::vector<std::string>{conf, "--sentinel"}));
  }
  wait_ready();
}

SentinelGroup::~SentinelGroup() {
  sentinels_.clear();
  replica_.reset();
  master_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string SentinelGroup::url(int db) const {
  std::string out = "redis-sentinel://";
  for (std::size_t i = 0; i < sentinels_.size(); ++i)
    out += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(sentinels_[i]->port());
  return out + "/m/" + std::to_string(db);
}

std::uint16_t SentinelGroup::master_port() const {
  std::string seen;
  for (const auto& s : sentinels_) {
    std::string port = master_field(*s, "port");
    if (port.empty() || (!seen.empty() && port != seen)) return 0;
    seen = port;
  }
  return static_cast<std::uint16_t>(std::stoi(seen));
}

void SentinelGroup::wait_ready() const {
  for (const auto& s : sentinels_)
    if (!eventually(
            [&] {
              return master_field(*s, "num-other-sentinels") == "2" &&
                     master_field(*s, "num-slaves") == "1";
            },
            std::chrono::seconds(15)))
      throw std::runtime_error("the sentinels did not find each other and the replica");
  // A DM push waits for a replica's acknowledgement: the replica must be in sync already.
  if (!eventually(
          [&] {
            return master_->cli("INFO replication").find("state=online") != std::string::npos;
          },
          std::chrono::seconds(15)))
    throw std::runtime_error("the replica did not finish its first sync");
}

}  // namespace roomctl::test
