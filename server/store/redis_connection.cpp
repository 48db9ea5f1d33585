// RedisConnection: hiredis calls, backoff, and the EVALSHA/EVAL fallback.
#include "server/store/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cstdio>

namespace roomctl::store {

std::string RedisEndpoint::describe() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

RedisEndpoint parse_redis_url(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "redis")
    throw std::runtime_error("store.url \"" + url + "\": not a valid redis URL");
  RedisEndpoint e;
  if (!u->host().empty()) e.host = std::string(u->host());
  if (u->has_port()) e.port = static_cast<int>(u->port_number());
  std::string path(u->path());
  if (path.size() > 1) {
    try {
      e.db = std::stoi(path.substr(1));
    } catch (const std::exception&) {
      throw std::runtime_error("store.url \"" + url + "\": the database must be a number");
    }
  }
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

void RedisConnection::ensure_connected() {
  if (ctx_) return;
  Millis now = mono_now_ms();
  if (now < next_attempt_) throw RedisUnavailable("redis " + describe() + " is down (retrying)");
  timeval tv{static_cast<time_t>(timeout_ms_ / 1000),
             static_cast<suseconds_t>((timeout_ms_ % 1000) * 1000)};
  ctx_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv);
  if (!ctx_ || ctx_->err) fail(ctx_ ? ctx_->errstr : "allocation failed");
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
  try {
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

RedisReply RedisConnection::next_reply() {
  RedisReply r = read_raw(ctx_);
  if (!r) fail(ctx_->errstr);
  if (is_error(r)) throw RedisError("redis error: " + reply_string(r.get()));
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
      if (errors) (*errors)[i] = "redis error: " + reply_string(r.get());
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
