// RedisConnection: hiredis calls, finding a Sentinel group's master, backoff, dead-link checks,
// and the EVALSHA/EVAL fallback.
#include "server/store/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "server/util/log.hpp"

namespace roomctl::store {

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
    errors += (errors.empty() ? "" : "; ") + s.text() + ": " + why;
  }
  fail("no sentinel named the master (" + errors + ")");
}

void RedisConnection::check_role() {
  if (!endpoint_.uses_sentinel()) return;
  std::string role = reply_string(reply_element(command({"ROLE"}).get(), 0));
  if (role == "master") return;
  // A sentinel that has not seen the failover yet: ask the next one first next time.
  next_sentinel_ = (next_sentinel_ + 1) % endpoint_.sentinels.size();
  throw RedisUnavailable("redis " + master_.text() + " is a " + role + ", not the master");
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
  if (!ctx_ || ctx_->err) fail(at.text() + ": " + (ctx_ ? ctx_->errstr : "allocation failed"));
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
      log::info("redis_master", {{"group", describe()}, {"master", at.text()}});
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
