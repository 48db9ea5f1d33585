// Identity proofs: signed tokens (both modes) and resume secrets (none mode, opt-in).
#include "server/runtime/identity_guard.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/json.hpp>
#include <vector>

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

bool valid_digest(const std::string& d) {
  return d.size() == 2 * SHA256_DIGEST_LENGTH &&
         d.find_first_not_of("0123456789abcdef") == std::string::npos;
}
}  // namespace

std::string IdentityGuard::digest(const std::string& secret) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof md);
  for (unsigned char c : md) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

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
  auto it = resume_digests_.find(claimed);
  if (it == resume_digests_.end()) return {};
  if (same_secret(it->second.hex, digest(string_field(body, "resumeSecret")))) return {};
  return refuse("resume_secret", "resume_required",
                "this user is protected by a resume secret: send its \"resumeSecret\"");
}

void IdentityGuard::bound(Client& client, const boost::json::object& body) {
  if (token_mode_) return;  // the token already proves the user
  auto it = body.find("resume");
  if (it == body.end() || !it->value().is_bool() || !it->value().get_bool()) return;
  // A client that proved the secret keeps it; else (a new user, or one proven by a token) it
  // gets a new one, which replaces the old everywhere.
  std::string secret = string_field(body, "resumeSecret");
  Digest fresh;
  {
    std::lock_guard lock(mutex_);
    auto& d = resume_digests_[client.user];
    if (d.hex.empty() || secret.empty() || !same_secret(d.hex, digest(secret))) {
      unsigned char bytes[24];
      RAND_bytes(bytes, sizeof bytes);
      secret = auth::base64url_encode(std::string(reinterpret_cast<char*>(bytes), sizeof bytes));
      // Later than any digest seen for the user: a node's clock may lag another's.
      d = fresh = {digest(secret), std::max(wall_now_ms(), d.at + 1), true, 0};
    }
  }
  if (!fresh.hex.empty() && observer_) observer_(client.user, fresh.hex, fresh.at);
  client.send(protocol::frame(
      {{"type", "resume_secret"}, {"userId", client.user}, {"resumeSecret", secret}}));
}

void IdentityGuard::forget(const std::string& user) {
  std::lock_guard lock(mutex_);
  resume_digests_.erase(user);
}

void IdentityGuard::remember(const std::string& user, const std::string& digest, Millis at,
                             Millis until) {
  if (user.empty() || !valid_digest(digest)) return;
  std::lock_guard lock(mutex_);
  auto& d = resume_digests_[user];
  if (d.hex == digest) {  // the same secret again: the longer promise holds
    if (d.until != 0) d.until = until == 0 ? 0 : std::max(d.until, until);
    return;
  }
  // Two nodes racing to issue one: the newest wins everywhere (ties by digest, so alike).
  if (d.hex.empty() || at > d.at || (at == d.at && digest > d.hex)) d = {digest, at, false, until};
}

void IdentityGuard::for_each_issued(const DigestFn& fn) {
  std::vector<std::pair<std::string, Digest>> issued;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [user, d] : resume_digests_)
      if (d.issued_here) issued.emplace_back(user, d);
  }
  for (const auto& [user, d] : issued) fn(user, d.hex, d.at);
}

void IdentityGuard::sweep(Millis now) {
  std::lock_guard lock(mutex_);
  for (auto it = resume_digests_.begin(); it != resume_digests_.end();)
    it =
        it->second.until != 0 && it->second.until < now ? resume_digests_.erase(it) : std::next(it);
}

}  // namespace roomctl::runtime
