// One hiredis connection with everything every Redis user in roomctl needs: the redis:// and
// redis-sentinel:// URLs, finding the current master through Redis Sentinel (and following it
// after a failover), connect with a timeout and exponential backoff (100 ms .. 2 s), a hook run
// after every (re)connect, single commands, pipelines, and Lua scripts sent as EVALSHA with a
// fallback to EVAL when Redis answers NOSCRIPT (a restarted or flushed Redis has lost its script
// cache). The state store and the cluster registry both talk to Redis through this class, so that
// reconnects and errors behave the same everywhere.
//
// Not thread-safe: its owner serialises calls (a mutex, or one thread); only interrupt() may be
// called from another thread. Every failure throws:
// RedisUnavailable when the connection is down or lost (the caller retries later), RedisError
// for an error reply (the connection stays usable).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/util/clock.hpp"

struct redisContext;
struct redisReply;

namespace roomctl::store {

struct RedisAddress {
  std::string host;
  int port = 0;
  std::string text() const;  // host:port, [v6]:port
};

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string prefix = "roomctl:";  // every key roomctl writes starts with it
  // A Sentinel group: when sentinels is not empty, host and port are unused and the master of
  // master_name is asked of the sentinels at every (re)connect.
  std::vector<RedisAddress> sentinels;
  std::string master_name;
  bool uses_sentinel() const { return !sentinels.empty(); }
  std::string describe() const;
};

// (redis_url.cpp) redis://HOST[:PORT][/DB][?prefix=P] or
// redis-sentinel://HOST[:PORT][,HOST[:PORT]...]/MASTER_NAME[/DB][?prefix=P] (sentinel port
// 26379 by default); throws std::runtime_error naming the URL when malformed.
RedisEndpoint parse_redis_url(const std::string& url);
// True for the schemes parse_redis_url reads (the store and cluster.enabled test it).
bool is_redis_url(const std::string& url);

struct RedisError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct RedisUnavailable : RedisError {
  using RedisError::RedisError;
};

struct RedisReplyDeleter {
  void operator()(redisReply* r) const;
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// Reply readers (null-safe): the string of a string/status reply, an integer reply, the i-th
// element of an array reply (nullptr when out of range).
std::string reply_string(const redisReply* r);
long long reply_integer(const redisReply* r);
const redisReply* reply_element(const redisReply* r, std::size_t i);
std::size_t reply_size(const redisReply* r);
bool reply_is_nil(const redisReply* r);

// A Lua script and its SHA-1 (computed here, so the first call can already try EVALSHA).
// The scripts are file-scope constants: the digest is computed on first use, so that a process
// that never talks to Redis (the SQLite default, `roomctl check`) never initialises OpenSSL.
class RedisScript {
 public:
  explicit RedisScript(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }
  const std::string& sha1() const;

 private:
  std::string source_;
  mutable std::once_flag digested_;
  mutable std::string sha1_;
};

class RedisConnection {
 public:
  using Args = std::vector<std::string>;
  // Runs after every successful connect (and SELECT); may issue commands; a throw from it
  // counts as a failed connect.
  using OnConnect = std::function<void(RedisConnection&)>;

  // timeout_ms bounds connects and every read; read_timeout=false leaves reads unbounded (a
  // subscriber waits for messages indefinitely; interrupt() ends its wait).
  explicit RedisConnection(RedisEndpoint endpoint, Millis timeout_ms = 1000,
                           bool read_timeout = true);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  void set_on_connect(OnConnect hook) { on_connect_ = std::move(hook); }
  const RedisEndpoint& endpoint() const { return endpoint_; }
  const std::string& prefix() const { return endpoint_.prefix; }
  // The URL (for a Sentinel group: its sentinels and master name); constant, so any thread may
  // call it. The master a group resolves to is logged at each connect (redis_master).
  std::string describe() const { return endpoint_.describe(); }
  bool connected() const { return ctx_ != nullptr; }

  // Connects if needed; throws RedisUnavailable while down (no new attempt inside the backoff).
  // With a Sentinel group it asks the sentinels in turn for the master, and refuses a server
  // whose ROLE is not master (a failover in progress). A READONLY error reply (this server was
  // demoted to a replica) drops the connection and throws RedisUnavailable, so that the next
  // call resolves the master again.
  void ensure_connected();
  void disconnect();
  // From any thread: makes a blocked read fail at once (its caller sees RedisUnavailable).
  void interrupt();

  RedisReply command(const Args& args);
  // Pipelining: append() any number of commands, then read each reply with next_reply() in order.
  void append(const Args& args);
  RedisReply next_reply();
  // EVALSHA, falling back to EVAL on NOSCRIPT. keys and args follow Redis's EVAL convention.
  RedisReply eval(const RedisScript& script, const Args& keys, const Args& args);
  // Runs every command in one round trip; each entry is a reply, or null with its error in
  // errors[i] (an error reply does not stop the others). Throws RedisUnavailable on a lost link.
  std::vector<RedisReply> pipeline(const std::vector<Args>& commands,
                                   std::vector<std::string>* errors = nullptr);
  // eval() for many calls of scripts in one round trip; a NOSCRIPT entry is re-sent with EVAL.
  struct ScriptCall {
    const RedisScript* script;
    Args keys, args;
  };
  std::vector<RedisReply> eval_many(const std::vector<ScriptCall>& calls,
                                    std::vector<std::string>* errors = nullptr);

 private:
  [[noreturn]] void fail(const std::string& what);
  // The server to connect to: the endpoint's, or the master the sentinels name.
  RedisAddress resolve_master();
  // The idle connection's server has closed it (checked without blocking before each command).
  bool peer_closed() const;
  // After the connect: a Sentinel group's master must say it is one.
  void check_role();
  // Error replies: READONLY drops the connection (fail()), others come back as the message.
  std::string error_of(const redisReply* r);
  static Args eval_args(const char* verb, const std::string& body, const ScriptCall& call);

  RedisEndpoint endpoint_;
  Millis timeout_ms_;
  bool read_timeout_;
  redisContext* ctx_ = nullptr;
  std::mutex fd_mutex_;  // guards fd_ against interrupt() from another thread
  int fd_ = -1;
  RedisAddress master_;            // where ctx_ is connected
  std::size_t next_sentinel_ = 0;  // the one that answered last is asked first
  Millis next_attempt_ = 0;
  Millis backoff_ = 100;
  OnConnect on_connect_;
  bool in_hook_ = false;
};

}  // namespace roomctl::store
