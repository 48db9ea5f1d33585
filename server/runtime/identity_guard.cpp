// Identity proofs: signed tokens (both modes) and resume secrets (none mode, opt-in).
#include "server/runtime/identity_guard.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <boost/json.hpp>

#include "server/auth/jwt.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/protocol/replies.hpp"
#include "server/util/clock.hpp"

namespace roomctl::runtime {

namespace {
std::string string_field(const boost::json::object& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

IdentityGuard::IdentityGuard(const config::AuthOptions& o, metrics::ServerMetrics& metrics)
    : token_mode_(o.mode == "token"),
      verifier_(std::make_unique<auth::JwtVerifier>(auth::VerifierKeys{o.secret, o.public_key_pem},
                                                    o.clock_skew_ms / 1000)),
      metrics_(metrics) {}

IdentityGuard::~IdentityGuard() = default;

Refusal IdentityGuard::refuse(std::string reason, std::string code, std::string message) {
  metrics_.auth_refusals.with({reason}).inc();
  return {std::move(code), std::move(message)};
}

Refusal IdentityGuard::check_token(const std::string& token, std::string& user) {
  // None mode without a key ignores tokens: clients may send them before their server checks
  // them (a rollout). Token mode always has a key (serve refuses to start otherwise).
  if (!verifier_->configured()) return {};
  auto r = verifier_->verify(token, wall_now_ms() / 1000);
  if (!r.ok) return refuse(r.code, r.code, r.message);
  user = r.user;
  return {};
}

Refusal IdentityGuard::may_bind(Client& client, const std::string& claimed,
                                const boost::json::object& body) {
  // A token in the message proves its user; it also replaces an earlier proof when a connection
  // switches users (the public app keeps one socket for every room's userId).
  if (auto token = string_field(body, "token"); !token.empty() && client.proven_user != claimed) {
    std::string user;
    if (auto r = check_token(token, user); !r.code.empty()) return r;
    if (!user.empty()) client.proven_user = user;
  }
  if (!client.proven_user.empty()) {
    if (client.proven_user == claimed) return {};
    return refuse("token_user_mismatch", "user_mismatch",
                  "the token is for another user than \"" + claimed + "\"");
  }
  if (token_mode_)
    return refuse("auth_required", "auth_required",
                  "this server needs a signed token: add ?token=... to the URL, an "
                  "Authorization: Bearer header, or a \"token\" field to this message");
  std::lock_guard lock(mutex_);
  auto it = resume_secrets_.find(claimed);
  if (it == resume_secrets_.end()) return {};
  if (same_secret(it->second, string_field(body, "resumeSecret"))) return {};
  return refuse("resume_secret", "resume_required",
                "this user is protected by a resume secret: send its \"resumeSecret\"");
}

void IdentityGuard::bound(Client& client, const boost::json::object& body) {
  if (token_mode_) return;  // the token already proves the user
  auto it = body.find("resume");
  if (it == body.end() || !it->value().is_bool() || !it->value().get_bool()) return;
  std::string secret;
  {
    std::lock_guard lock(mutex_);
    auto& s = resume_secrets_[client.user];
    if (s.empty()) {
      unsigned char bytes[24];
      RAND_bytes(bytes, sizeof bytes);
      s = auth::base64url_encode(std::string(reinterpret_cast<char*>(bytes), sizeof bytes));
    }
    secret = s;
  }
  client.send(protocol::frame(
      {{"type", "resume_secret"}, {"userId", client.user}, {"resumeSecret", secret}}));
}

void IdentityGuard::forget(const std::string& user) {
  std::lock_guard lock(mutex_);
  resume_secrets_.erase(user);
}

}  // namespace roomctl::runtime
