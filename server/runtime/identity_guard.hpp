// Who may bind a connection to a userId (docs/protocol.md §Identity).
//  token mode: only the user a valid signed token names (from the upgrade URL `?token=`, an
//    `Authorization: Bearer` header, or a "token" field of a message before the binding).
//  none mode (ORIG): a userId is taken on trust, so any socket may take any user over; but a
//    client that opts in ("resume":true in its first message) gets a resume secret, and from
//    then on binding that user needs the secret ("resumeSecret") until its reconnect grace has
//    expired. A valid token proves a user in both modes.
// Only a secret's SHA-256 digest is kept: a cluster node learns the digests of users bound on
// other nodes (remember), so that a user protected on one node is protected on every node.
// Thread-safe: connections of several shards bind at once.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/config/auth_options.hpp"
#include "server/runtime/client.hpp"
#include "server/util/clock.hpp"

namespace roomctl::auth {
class JwtVerifier;
}
namespace roomctl::metrics {
struct ServerMetrics;
}

namespace roomctl::runtime {

struct Refusal {
  std::string code;  // empty: allowed
  std::string message;
};

class IdentityGuard {
 public:
  // Throws std::runtime_error when the configured public key cannot be read.
  IdentityGuard(const config::AuthOptions& options, metrics::ServerMetrics& metrics);
  ~IdentityGuard();

  bool token_mode() const { return token_mode_; }
  // Checks a token; sets `user` when it is valid. Refusals are counted. Without a key (none
  // mode only) tokens are ignored: no refusal, no user.
  Refusal check_token(const std::string& token, std::string& user);
  // May `client` (bound to nobody yet) bind `claimed`? `body` is the message that claims it.
  Refusal may_bind(Client& client, const std::string& claimed, const boost::json::object& body);
  // After `client` was bound: a none-mode client that opted in gets its resume secret.
  void bound(Client& client, const boost::json::object& body);
  // The user's reconnect grace expired: it may be taken by anyone again (none mode).
  void forget(const std::string& user);

  // Cluster: `observer(user, digest, at)` runs when a user here gets a new secret (its hex
  // SHA-256, issued at wall ms `at`); remember() takes another node's unless ours is newer,
  // until wall ms `until` (0: until the user's grace expires here, as for our own);
  // for_each_issued() lists the digests issued here (for a node that joins); sweep() drops
  // remembered digests whose `until` passed.
  using DigestFn =
      std::function<void(const std::string& user, const std::string& digest, Millis at)>;
  void set_observer(DigestFn observer) { observer_ = std::move(observer); }
  void remember(const std::string& user, const std::string& digest, Millis at, Millis until);
  void for_each_issued(const DigestFn& fn);
  void sweep(Millis now);
  static std::string digest(const std::string& secret);

 private:
  Refusal refuse(std::string reason, std::string code, std::string message);

  bool token_mode_;
  std::unique_ptr<auth::JwtVerifier> verifier_;
  metrics::ServerMetrics& metrics_;
  std::mutex mutex_;
  struct Digest {
    std::string hex;  // SHA-256 of the secret
    Millis at = 0;    // when it was issued (wall ms): the newest wins across nodes
    bool issued_here = false;
    Millis until = 0;  // remembered from a roster for a user not online there: kept until then
  };
  std::unordered_map<std::string, Digest> resume_digests_;  // user -> its secret's digest
  DigestFn observer_;
};

}  // namespace roomctl::runtime
