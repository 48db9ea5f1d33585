// RedisConnection: hiredis calls, backoff, and the EVALSHA/EVAL fallback.
#include "server/store/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cstdio>
#include <string_view>

#include "server/util/log.hpp"

namespace roomctl::store {

namespace {
constexpr std::string_view kSentinelScheme = "redis-sentinel://";

std::string address_text(const RedisAddress& a) {
  bool v6 = a.host.find(':') != std::string::npos;
  return (v6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port);
}

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
  if (!uses_sentinel()) return "redis://" + address_text({host, port}) + db_part;
  std::string out(kSentinelScheme);
  for (std::size_t i = 0; i < sentinels.size(); ++i)
    out += (i ? "," : "") + address_text(sentinels[i]);
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

void RedisReplyDeleter::operator()(redisReply* r) const {
  freeReplyObject(r);
}

std::string reply_string(const redisReply* r) {
  return r && r->str ? std::string(r->str, r->len) : "";
}

long long reply_integer(const redisReply* r) {
  if (!r) return 0;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->str) return std::strtoll(r->str, nullptr, 10);
  return 0;
}

std::size_t reply_size(const redisReply* r) {
  return r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;  // RESP2: every list is an array
}

const redisReply* reply_element(const redisReply* r, std::size_t i) {
  return i < reply_size(r) ? r->element[i] : nullptr;
}

bool reply_is_nil(const redisReply* r) {
  return !r || r->type == REDIS_REPLY_NIL;
}

const std::string& RedisScript::sha1() const {
  std::call_once(digested_, [this] {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(source_.data(), source_.size(), md, &len, EVP_sha1(), nullptr);
    char hex[3];
    for (unsigned int i = 0; i < len; ++i) {
      std::snprintf(hex, sizeof hex, "%02x", md[i]);
      sha1_ += hex;
    }
  });
  return sha1_;
}

RedisConnection::RedisConnection(RedisEndpoint endpoint, Millis timeout_ms, bool read_timeout)
    : endpoint_(std::move(endpoint)), timeout_ms_(timeout_ms), read_timeout_(read_timeout) {}

RedisConnection::~RedisConnection() {
  disconnect();
}

void RedisConnection::disconnect() {
  {
    std::lock_guard lock(fd_mutex_);
    fd_ = -1;
  }
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

void RedisConnection::interrupt() {
  std::lock_guard lock(fd_mutex_);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void RedisConnection::fail(const std::string& what) {
  disconnect();
  next_attempt_ = mono_now_ms() + backoff_;
  backoff_ = std::min<Millis>(backoff_ * 2, 2000);
  throw RedisUnavailable("redis " + describe() + ": " + what);
}

namespace {
timeval to_timeval(Millis ms) {
  return {static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}
}  // namespace

RedisAddress RedisConnection::resolve_master() {
  if (!endpoint_.uses_sentinel()) return {endpoint_.host, endpoint_.port};
  // Short timeouts: a dead sentinel must not hold up asking the next one.
  timeval tv = to_timeval(std::min<Millis>(timeout_ms_, 300));
  std::string errors;
  const auto n = endpoint_.sentinels.size();
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t i = (next_sentinel_ + k) % n;
    const RedisAddress& s = endpoint_.sentinels[i];
    std::unique_ptr<redisContext, void (*)(redisContext*)> c(
        redisConnectWithTimeout(s.host.c_str(), s.port, tv), redisFree);
    std::string why;
    if (!c || c->err) {
      why = c ? c->errstr : "allocation failed";
    } else {
      redisSetTimeout(c.get(), tv);
      RedisReply r(static_cast<redisReply*>(redisCommand(
          c.get(), "SENTINEL get-master-addr-by-name %s", endpoint_.master_name.c_str())));
      if (!r) {
        why = c->errstr;
      } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        int port = static_cast<int>(reply_integer(reply_element(r.get(), 1)));
        next_sentinel_ = i;
        return {reply_string(reply_element(r.get(), 0)), port};
      } else {
        why = reply_is_nil(r.get()) ? "does not know master \"" + endpoint_.master_name + "\""
                                    : reply_string(r.get());
      }
    }
    errors += (errors.empty() ? "" : "; ") + address_text(s) + ": " + why;
  }
  fail("no sentinel named the master (" + errors + ")");
}

void RedisConnection::check_role() {
  if (!endpoint_.uses_sentinel()) return;
  std::string role = reply_string(reply_element(command({"ROLE"}).get(), 0));
  if (role == "master") return;
  // A sentinel that has not seen the failover yet: ask the next one first next time.
  next_sentinel_ = (next_sentinel_ + 1) % endpoint_.sentinels.size();
  throw RedisUnavailable("redis " + address_text(master_) + " is a " + role + ", not the master");
}

// A server that went away (killed, restarted, a failover's CLIENT KILL) leaves an idle connection
// that looks fine until the next command fails on it. Checked before a command is sent, so that
// the command goes to a fresh connection instead of being lost on the dead one.
bool RedisConnection::peer_closed() const {
  pollfd p{ctx_->fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP)) return true;
  char c;
  ssize_t n = ::recv(ctx_->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void RedisConnection::ensure_connected() {
  if (ctx_ && !peer_closed()) return;
  if (ctx_) disconnect();  // reconnect at once: nothing was sent on the dead link
  Millis now = mono_now_ms();
  if (now < next_attempt_) throw RedisUnavailable("redis " + describe() + " is down (retrying)");
  timeval tv = to_timeval(timeout_ms_);
  RedisAddress at = resolve_master();
  ctx_ = redisConnectWithTimeout(at.host.c_str(), at.port, tv);
  if (!ctx_ || ctx_->err)
    fail(address_text(at) + ": " + (ctx_ ? ctx_->errstr : "allocation failed"));
  if (read_timeout_) {
    redisSetTimeout(ctx_, tv);
  } else {
    redisSetTimeout(ctx_, timeval{0, 0});
    redisEnableKeepAlive(ctx_);  // a silent peer is found by TCP keepalive instead
  }
  {
    std::lock_guard lock(fd_mutex_);
    fd_ = ctx_->fd;
  }
  bool moved = at.host != master_.host || at.port != master_.port;
  master_ = at;
  try {
    check_role();
    if (moved && endpoint_.uses_sentinel())
      log::info("redis_master", {{"group", describe()}, {"master", address_text(at)}});
    if (endpoint_.db != 0) command({"SELECT", std::to_string(endpoint_.db)});
    if (on_connect_ && !in_hook_) {
      in_hook_ = true;
      on_connect_(*this);
      in_hook_ = false;
    }
  } catch (const std::exception& e) {
    in_hook_ = false;
    if (ctx_) fail(e.what());
    throw;
  }
  backoff_ = 100;  // only a connect that got through its hook resets the backoff
}

void RedisConnection::append(const Args& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data());
}

namespace {
// Reads one reply, error replies included; null means the link broke (ctx->errstr says why).
RedisReply read_raw(redisContext* ctx) {
  void* out = nullptr;
  if (redisGetReply(ctx, &out) != REDIS_OK || !out) return nullptr;
  return RedisReply(static_cast<redisReply*>(out));
}

bool is_error(const RedisReply& r) {
  return r->type == REDIS_REPLY_ERROR;
}
}  // namespace

std::string RedisConnection::error_of(const redisReply* r) {
  std::string message = reply_string(r);
  // A demoted master (or a replica named by a stale sentinel) refuses writes: drop it so that
  // the next call finds the master again. A script's write carries the error inside its text.
  if (message.rfind("READONLY", 0) == 0 || message.find("-READONLY") != std::string::npos)
    fail("the server is a replica now: " + message);
  return "redis error: " + message;
}

RedisReply RedisConnection::next_reply() {
  RedisReply r = read_raw(ctx_);
  if (!r) fail(ctx_->errstr);
  if (is_error(r)) throw RedisError(error_of(r.get()));
  return r;
}

RedisReply RedisConnection::command(const Args& args) {
  ensure_connected();
  append(args);
  return next_reply();
}

std::vector<RedisReply> RedisConnection::pipeline(const std::vector<Args>& commands,
                                                  std::vector<std::string>* errors) {
  ensure_connected();
  for (const auto& c : commands) append(c);
  std::vector<RedisReply> out(commands.size());
  if (errors) errors->assign(commands.size(), "");
  for (std::size_t i = 0; i < commands.size(); ++i) {
    RedisReply r = read_raw(ctx_);
    if (!r) fail(ctx_->errstr);
    if (is_error(r)) {
      std::string error = error_of(r.get());
      if (errors) (*errors)[i] = std::move(error);
      continue;
    }
    out[i] = std::move(r);
  }
  return out;
}

RedisConnection::Args RedisConnection::eval_args(const char* verb, const std::string& body,
                                                 const ScriptCall& call) {
  Args a{verb, body, std::to_string(call.keys.size())};
  a.insert(a.end(), call.keys.begin(), call.keys.end());
  a.insert(a.end(), call.args.begin(), call.args.end());
  return a;
}

std::vector<RedisReply> RedisConnection::eval_many(const std::vector<ScriptCall>& calls,
                                                   std::vector<std::string>* errors) {
  std::vector<Args> cmds;
  cmds.reserve(calls.size());
  for (const auto& c : calls) cmds.push_back(eval_args("EVALSHA", c.script->sha1(), c));
  std::vector<std::string> errs;
  auto out = pipeline(cmds, &errs);
  // The script cache is empty (a restarted Redis, SCRIPT FLUSH): EVAL sends the body once and
  // caches it again, so later calls go back to EVALSHA.
  std::vector<std::size_t> missing;
  cmds.clear();
  for (std::size_t i = 0; i < calls.size(); ++i)
    if (errs[i].find("NOSCRIPT") != std::string::npos) {
      missing.push_back(i);
      cmds.push_back(eval_args("EVAL", calls[i].script->source(), calls[i]));
    }
  if (!missing.empty()) {
    std::vector<std::string> again_errs;
    auto again = pipeline(cmds, &again_errs);
    for (std::size_t k = 0; k < missing.size(); ++k) {
      out[missing[k]] = std::move(again[k]);
      errs[missing[k]] = again_errs[k];
    }
  }
  if (errors) *errors = std::move(errs);
  return out;
}

RedisReply RedisConnection::eval(const RedisScript& script, const Args& keys, const Args& args) {
  std::vector<std::string> errors;
  auto out = eval_many({{&script, keys, args}}, &errors);
  if (!errors[0].empty()) throw RedisError(errors[0]);
  return std::move(out[0]);
}

}  // namespace roomctl::store
