// The Redis URLs store.url accepts: redis:// (one server, parsed with Boost.URL) and
// redis-sentinel:// (a Sentinel group: a list of sentinel addresses and the master's name).
#include <boost/url/parse.hpp>
#include <stdexcept>
#include <string_view>

#include "server/store/redis_connection.hpp"

namespace roomctl::store {

std::string RedisAddress::text() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {
constexpr std::string_view kSentinelScheme = "redis-sentinel://";

// A decimal number in 0..max, or -1.
int parse_number(const std::string& text, int max) {
  bool digits = !text.empty() && text.size() <= 9 &&
                text.find_first_not_of("0123456789") == std::string::npos;
  return digits && std::stoi(text) <= max ? std::stoi(text) : -1;
}
constexpr int kMaxDb = 1 << 20;

// redis-sentinel://HOST[:PORT][,HOST[:PORT]...]/MASTER_NAME[/DB][?prefix=P], read by hand: a
// list of hosts is no URL authority, so Boost.URL cannot parse it.
RedisEndpoint parse_sentinel_url(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return std::runtime_error("store.url \"" + url + "\": " + why +
                              " (redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB])");
  };
  std::string rest = url.substr(kSentinelScheme.size());
  RedisEndpoint e;
  if (auto q = rest.find('?'); q != std::string::npos) {
    std::string query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    for (std::size_t at = 0; at <= query.size();) {
      auto amp = std::min(query.find('&', at), query.size());
      std::string param = query.substr(at, amp - at);
      if (param.rfind("prefix=", 0) == 0) e.prefix = param.substr(7);
      at = amp + 1;
    }
  }
  auto slash = rest.find('/');
  if (slash == std::string::npos) throw bad("the master name is missing");
  std::string hosts = rest.substr(0, slash), path = rest.substr(slash + 1);
  for (std::size_t at = 0; at <= hosts.size();) {
    auto comma = std::min(hosts.find(',', at), hosts.size());
    std::string item = hosts.substr(at, comma - at);
    at = comma + 1;
    if (item.empty()) throw bad("an empty sentinel address");
    RedisAddress a{item, 26379};
    auto close = item.rfind(']');
    auto colon = item.rfind(':');
    if (item.front() == '[') {
      if (close == std::string::npos) throw bad("\"" + item + "\" is not a valid address");
      a.host = item.substr(1, close - 1);
      colon = close + 1 < item.size() ? close + 1 : std::string::npos;
      if (colon != std::string::npos && item[colon] != ':')
        throw bad("\"" + item + "\" is not a valid address");
    } else if (colon != std::string::npos) {
      a.host = item.substr(0, colon);
    }
    if (colon != std::string::npos) a.port = parse_number(item.substr(colon + 1), 65535);
    if (a.port < 0) throw bad("\"" + item + "\": the port must be a number");
    if (a.host.empty() || a.port == 0) throw bad("\"" + item + "\" is not a valid address");
    e.sentinels.push_back(a);
  }
  auto db_slash = path.find('/');
  e.master_name = path.substr(0, db_slash);
  if (e.master_name.empty()) throw bad("the master name is missing");
  if (db_slash != std::string::npos && db_slash + 1 < path.size())
    e.db = parse_number(path.substr(db_slash + 1), kMaxDb);
  if (e.db < 0) throw bad("the database must be a number");
  return e;
}
}  // namespace

std::string RedisEndpoint::describe() const {
  std::string db_part = "/" + std::to_string(db);
  if (!uses_sentinel()) return "redis://" + RedisAddress{host, port}.text() + db_part;
  std::string out(kSentinelScheme);
  for (std::size_t i = 0; i < sentinels.size(); ++i) out += (i ? "," : "") + sentinels[i].text();
  return out + "/" + master_name + db_part;
}

bool is_redis_url(const std::string& url) {
  return url.rfind("redis://", 0) == 0 || url.rfind(kSentinelScheme, 0) == 0;
}

RedisEndpoint parse_redis_url(const std::string& url) {
  if (url.rfind(kSentinelScheme, 0) == 0) return parse_sentinel_url(url);
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "redis")
    throw std::runtime_error("store.url \"" + url + "\": not a valid redis URL");
  RedisEndpoint e;
  if (!u->host().empty()) e.host = std::string(u->host());
  if (u->has_port()) e.port = static_cast<int>(u->port_number());
  std::string path(u->path());
  if (path.size() > 1) e.db = parse_number(path.substr(1), kMaxDb);
  if (e.db < 0)
    throw std::runtime_error("store.url \"" + url + "\": the database must be a number");
  for (auto param : u->params())
    if (param.key == "prefix") e.prefix = std::string(param.value);
  return e;
}

}  // namespace roomctl::store
