// Store URL parsing: memory://, sqlite://PATH, redis://HOST:PORT[/DB][?prefix=P] and
// redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB][?prefix=P].
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
  if (is_redis_url(url)) return std::make_unique<RedisStore>(parse_redis_url(url));
  throw std::runtime_error("store.url \"" + url +
                           "\": unsupported store (memory://, sqlite://PATH, redis://HOST:PORT/DB, "
                           "redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB])");
}

}  // namespace roomctl::store
