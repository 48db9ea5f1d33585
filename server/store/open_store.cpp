// Store URL parsing: memory://, sqlite://PATH, redis://HOST:PORT[/DB][?prefix=P].
#include <boost/url/parse.hpp>
#include <stdexcept>

#include "server/store/memory_store.hpp"
#include "server/store/redis_store.hpp"
#include "server/store/sqlite_store.hpp"
#include "server/store/state_store.hpp"

namespace roomctl::store {

std::unique_ptr<StateStore> open_store(const std::string& url) {
  if (url == "memory://" || url == "memory") return std::make_unique<MemoryStore>();
  if (url.rfind("sqlite://", 0) == 0) {
    std::string path = url.substr(9);
    bool full = false;
    if (auto q = path.find("?synchronous=full"); q != std::string::npos) {
      full = true;
      path = path.substr(0, q);
    }
    if (path.empty())
      throw std::runtime_error("store.url \"" + url + "\": sqlite needs a file path");
    return std::make_unique<SqliteStore>(path, full);
  }
  if (url.rfind("redis://", 0) == 0) {
    auto u = boost::urls::parse_uri(url);
    if (!u) throw std::runtime_error("store.url \"" + url + "\": not a valid redis URL");
    std::string host = u->host().empty() ? "127.0.0.1" : std::string(u->host());
    int port = u->has_port() ? static_cast<int>(u->port_number()) : 6379;
    int db = 0;
    std::string path(u->path());
    if (path.size() > 1) db = std::stoi(path.substr(1));
    std::string prefix = "roomctl:";
    for (auto param : u->params())
      if (param.key == "prefix") prefix = std::string(param.value);
    return std::make_unique<RedisStore>(host, port, db, prefix);
  }
  throw std::runtime_error(
      "store.url \"" + url +
      "\": unsupported store (memory://, sqlite://PATH, redis://HOST:PORT/DB)");
}

}  // namespace roomctl::store
