// Signed identities: JSON Web Tokens (RFC 7519) as roomctl reads and writes them.
// A token proves one userId (`sub`) until its expiry (`exp`). HS256 uses a shared secret;
// RS256 and ES256 use the public key of a login service that signs. The verifier accepts only
// the algorithms its keys are for, so a token cannot choose how it is checked ("alg": "none",
// or HS256 signed with the public key as its secret, are refused: the classic alg confusion).
// No Asio here; OpenSSL only in jwt.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace roomctl::auth {

struct VerifyResult {
  bool ok = false;
  std::string user;      // `sub` when ok
  std::int64_t exp = 0;  // seconds since the epoch
  std::string code;      // when not ok: bad_token, token_expired
  std::string message;   // for the client and the log
};

struct VerifierKeys {
  std::string hs256_secret;    // empty: HS256 tokens are refused
  std::string public_key_pem;  // RSA (RS256) or EC P-256 (ES256); empty: none
};

class JwtVerifier {
 public:
  // Throws std::runtime_error when the public key cannot be read.
  JwtVerifier(VerifierKeys keys, std::int64_t clock_skew_s);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  VerifyResult verify(const std::string& token, std::int64_t now_s) const;
  bool configured() const;

 private:
  struct Key;
  std::string secret_;
  std::unique_ptr<Key> key_;  // the public key, with its algorithm
  std::int64_t skew_s_;
};

// Mints a token for `user` valid until `exp`. alg HS256: `key` is the secret; RS256/ES256: a
// PEM private key. Throws std::runtime_error on a bad key or algorithm.
std::string sign_token(const std::string& alg, const std::string& key, const std::string& user,
                       std::int64_t exp, std::int64_t iat);

std::string base64url_encode(const std::string& bytes);
bool base64url_decode(const std::string& text, std::string& out);

}  // namespace roomctl::auth
