// The JWT verifier: good and bad signatures, expiry with the clock-skew allowance, and the alg
// confusion attacks (a token must not choose how it is checked).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "server/auth/jwt.hpp"
#include "tests/test_keys.hpp"

using namespace roomctl::auth;
using roomctl::test::KeyPair;
using roomctl::test::make_key_pair;

namespace {
constexpr std::int64_t kNow = 1'800'000'000;
const std::string kSecret = "a-shared-secret-of-some-length";

const KeyPair& rsa_keys() {
  static const KeyPair k = make_key_pair(true);
  return k;
}
const KeyPair& ec_keys() {
  static const KeyPair k = make_key_pair(false);
  return k;
}

// A token with any header and claims, "signed" with `sig` (already base64url).
std::string raw_token(const std::string& header, const std::string& claims,
                      const std::string& sig) {
  return base64url_encode(header) + "." + base64url_encode(claims) + "." + sig;
}
}  // namespace

TEST_CASE("base64url round trips every length", "[jwt]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    std::string back;
    REQUIRE(base64url_decode(base64url_encode(s), back));
    CHECK(back == s);
  }
  std::string out;
  CHECK_FALSE(base64url_decode("ab+c", out));  // not the URL alphabet
  CHECK_FALSE(base64url_decode("abc=", out));  // no padding in JWTs
  CHECK_FALSE(base64url_decode("AB", out));    // leftover bits set: not the canonical "AA"
  CHECK(base64url_decode("AA", out));
}

TEST_CASE("HS256: a good token names its user, a bad signature is refused", "[jwt]") {
  JwtVerifier v({kSecret, ""}, 30);
  auto token = sign_token("HS256", kSecret, "alice", kNow + 60, kNow);
  auto r = v.verify(token, kNow);
  REQUIRE(r.ok);
  CHECK(r.user == "alice");

  auto other = sign_token("HS256", "another-secret-entirely!", "alice", kNow + 60, kNow);
  CHECK_FALSE(v.verify(other, kNow).ok);
  CHECK(v.verify(other, kNow).code == "bad_token");

  // The payload changed (another user) under the original signature.
  auto dot1 = token.find('.'), dot2 = token.rfind('.');
  auto forged = token.substr(0, dot1) + "." +
                base64url_encode(R"({"sub":"mallory","exp":)" + std::to_string(kNow + 60) + "}") +
                token.substr(dot2);
  CHECK_FALSE(v.verify(forged, kNow).ok);
  CHECK_FALSE(v.verify("not-a-token", kNow).ok);
  CHECK_FALSE(v.verify(token + ".x", kNow).ok);
  CHECK_FALSE(v.verify(token.substr(0, dot2 + 1), kNow).ok);  // no signature
}

TEST_CASE("expiry: refused after exp plus the clock skew, accepted within it", "[jwt]") {
  JwtVerifier v({kSecret, ""}, 30);
  auto token = sign_token("HS256", kSecret, "alice", kNow, kNow - 3600);
  CHECK(v.verify(token, kNow + 29).ok);
  CHECK(v.verify(token, kNow + 30).ok);
  auto late = v.verify(token, kNow + 31);
  CHECK_FALSE(late.ok);
  CHECK(late.code == "token_expired");
  JwtVerifier strict({kSecret, ""}, 0);
  CHECK_FALSE(strict.verify(token, kNow + 1).ok);
}

TEST_CASE("claims: sub and exp are required, nbf is honoured", "[jwt]") {
  JwtVerifier v({kSecret, ""}, 30);
  auto hs = [](const std::string& claims) {
    std::string header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    std::string body = base64url_encode(claims);
    // Any claims, correctly signed: only the claims decide.
    unsigned char mac[32];
    unsigned int len = 0;
    std::string data = header + "." + body;
    HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
    return data + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
  };
  CHECK(v.verify(hs(R"({"sub":"a","exp":)" + std::to_string(kNow + 5) + "}"), kNow).ok);
  CHECK_FALSE(v.verify(hs(R"({"exp":)" + std::to_string(kNow + 5) + "}"), kNow).ok);
  CHECK_FALSE(v.verify(hs(R"({"sub":"a"})"), kNow).ok);
  CHECK_FALSE(v.verify(hs(R"({"sub":"","exp":)" + std::to_string(kNow + 5) + "}"), kNow).ok);
  CHECK_FALSE(v.verify(hs(R"({"sub":"a","exp":)" + std::to_string(kNow + 500) + R"(,"nbf":)" +
                          std::to_string(kNow + 100) + "}"),
                       kNow)
                  .ok);
}

TEST_CASE("RS256 and ES256 verify with the public key", "[jwt]") {
  for (const auto* kp : {&rsa_keys(), &ec_keys()}) {
    std::string alg = kp == &rsa_keys() ? "RS256" : "ES256";
    INFO(alg);
    JwtVerifier v({"", kp->public_pem}, 30);
    auto token = sign_token(alg, kp->private_pem, "bob", kNow + 60, kNow);
    auto r = v.verify(token, kNow);
    REQUIRE(r.ok);
    CHECK(r.user == "bob");
    CHECK(v.verify(token, kNow + 91).code == "token_expired");
    // A signature by another key of the same kind is refused.
    auto stranger = make_key_pair(alg == "RS256");
    CHECK_FALSE(v.verify(sign_token(alg, stranger.private_pem, "bob", kNow + 60, kNow), kNow).ok);
  }
  // An RS256 token for an ES256 key (and the reverse) is refused.
  JwtVerifier ec({"", ec_keys().public_pem}, 30);
  CHECK_FALSE(
      ec.verify(sign_token("RS256", rsa_keys().private_pem, "bob", kNow + 60, kNow), kNow).ok);
}

TEST_CASE("alg confusion: alg none and HS256 signed with the public key are refused", "[jwt]") {
  std::string claims = R"({"sub":"mallory","exp":)" + std::to_string(kNow + 60) + "}";
  for (const auto* kp : {&rsa_keys(), &ec_keys()}) {
    JwtVerifier v({"", kp->public_pem}, 30);
    // The public key is public: HMAC with it as the secret must not verify.
    auto hs = sign_token("HS256", kp->public_pem, "mallory", kNow + 60, kNow);
    auto r = v.verify(hs, kNow);
    CHECK_FALSE(r.ok);
    CHECK(r.code == "bad_token");
    for (const char* none : {R"({"alg":"none"})", R"({"alg":"None","typ":"JWT"})"}) {
      CHECK_FALSE(v.verify(raw_token(none, claims, ""), kNow).ok);
      CHECK_FALSE(v.verify(raw_token(none, claims, "AAAA"), kNow).ok);
    }
  }
  // With only a secret, a token claiming RS256 is not checked against anything: refused.
  JwtVerifier hs_only({kSecret, ""}, 30);
  CHECK_FALSE(
      hs_only.verify(sign_token("RS256", rsa_keys().private_pem, "m", kNow + 60, kNow), kNow).ok);
  CHECK_FALSE(hs_only.verify(raw_token(R"({"alg":"none"})", claims, "AAAA"), kNow).ok);
  // No key at all: nothing verifies.
  JwtVerifier none({"", ""}, 30);
  CHECK_FALSE(none.configured());
  CHECK_FALSE(none.verify(sign_token("HS256", kSecret, "a", kNow + 60, kNow), kNow).ok);
}

TEST_CASE("a public key that is not RSA or EC P-256 is a configuration error", "[jwt]") {
  CHECK_THROWS(
      JwtVerifier({"", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, 0));
  CHECK_THROWS(sign_token("HS512", kSecret, "a", kNow, kNow));
  CHECK_THROWS(sign_token("RS256", ec_keys().private_pem, "a", kNow, kNow));
}
