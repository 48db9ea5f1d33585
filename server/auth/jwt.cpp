// JWT signing and verification with OpenSSL (HMAC for HS256, EVP signatures for RS256/ES256).
// ES256 signatures are r||s on the wire (JOSE) and DER in OpenSSL: converted both ways here.
#include "server/auth/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <cstring>
#include <stdexcept>

namespace roomctl::auth {

namespace json = boost::json;

namespace {
const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string hmac_sha256(const std::string& secret, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

Pkey read_pem(const std::string& pem, bool private_key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* k = private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                            : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  return Pkey(k);
}

// The algorithm a key is for: RS256 for RSA, ES256 for EC; empty for anything else.
std::string alg_of(EVP_PKEY* k) {
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA:
      return "RS256";
    case EVP_PKEY_EC:
      return EVP_PKEY_get_bits(k) == 256 ? "ES256" : "";
    default:
      return "";
  }
}

// JOSE r||s (32 bytes each) to DER, and back.
bool es256_to_der(const std::string& raw, std::string& der) {
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(p, 32, nullptr), BN_bin2bn(p + 32, 32, nullptr));
  unsigned char* out = nullptr;
  int len = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  if (len <= 0) return false;
  der.assign(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return true;
}

std::string der_to_es256(const std::string& der) {
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) throw std::runtime_error("ES256: bad signature from OpenSSL");
  unsigned char raw[64];
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
  ECDSA_SIG_free(sig);
  return std::string(reinterpret_cast<char*>(raw), 64);
}

bool digest_verify(EVP_PKEY* k, const std::string& data, const std::string& sig) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

std::string digest_sign(EVP_PKEY* k, const std::string& data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t len = 0;
  auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1)
    throw std::runtime_error("cannot sign with this key");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1)
    throw std::runtime_error("cannot sign with this key");
  sig.resize(len);
  return sig;
}

VerifyResult refuse(std::string code, std::string message) {
  return {false, "", 0, std::move(code), std::move(message)};
}

bool parse_object(const std::string& b64, json::object& out) {
  std::string text;
  if (!base64url_decode(b64, text)) return false;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  out = std::move(v.as_object());
  return true;
}

bool int_claim(const json::object& o, const char* name, std::int64_t& out) {
  auto it = o.find(name);
  if (it == o.end()) return false;
  if (it->value().is_int64())
    out = it->value().get_int64();
  else if (it->value().is_uint64())
    out = static_cast<std::int64_t>(it->value().get_uint64());
  else if (it->value().is_double())
    out = static_cast<std::int64_t>(it->value().get_double());
  else
    return false;
  return true;
}
}  // namespace

std::string base64url_encode(const std::string& bytes) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

bool base64url_decode(const std::string& text, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const char* p = c ? std::strchr(kAlphabet, c) : nullptr;
    if (!p) return false;  // padding and the +/ alphabet are not JWT's
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // A lone trailing character carries no byte, and leftover bits must be zero: one token has
  // one spelling (no variants of a signature that verify alike).
  return bits < 6 && (acc & ((1u << bits) - 1)) == 0;
}

struct JwtVerifier::Key {
  Pkey pkey;
  std::string alg;
};

JwtVerifier::JwtVerifier(VerifierKeys keys, std::int64_t clock_skew_s)
    : secret_(std::move(keys.hs256_secret)), skew_s_(clock_skew_s) {
  if (keys.public_key_pem.empty()) return;
  auto k = read_pem(keys.public_key_pem, false);
  if (!k) throw std::runtime_error("auth.public_key_file: not a PEM public key");
  std::string alg = alg_of(k.get());
  if (alg.empty())
    throw std::runtime_error("auth.public_key_file: only RSA (RS256) and EC P-256 (ES256) keys");
  key_ = std::make_unique<Key>(Key{std::move(k), alg});
}

JwtVerifier::~JwtVerifier() = default;

bool JwtVerifier::configured() const {
  return !secret_.empty() || key_;
}

VerifyResult JwtVerifier::verify(const std::string& token, std::int64_t now_s) const {
  auto d1 = token.find('.');
  auto d2 = d1 == std::string::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string::npos || token.find('.', d2 + 1) != std::string::npos)
    return refuse("bad_token", "the token is not a JWT (header.payload.signature)");
  json::object header, claims;
  if (!parse_object(token.substr(0, d1), header) ||
      !parse_object(token.substr(d1 + 1, d2 - d1 - 1), claims))
    return refuse("bad_token", "the token's header or payload is not base64url JSON");
  std::string sig;
  if (!base64url_decode(token.substr(d2 + 1), sig) || sig.empty())
    return refuse("bad_token", "the token has no signature");
  auto alg_it = header.find("alg");
  std::string alg = alg_it != header.end() && alg_it->value().is_string()
                        ? std::string(alg_it->value().get_string())
                        : "";
  // The algorithm comes from the key, never from the token: the header only has to agree.
  std::string signed_part = token.substr(0, d2);
  bool valid = false;
  if (alg == "HS256" && !secret_.empty()) {
    auto mac = hmac_sha256(secret_, signed_part);
    valid = mac.size() == sig.size() && CRYPTO_memcmp(mac.data(), sig.data(), sig.size()) == 0;
  } else if (key_ && alg == key_->alg) {
    std::string der = sig;
    valid = (alg != "ES256" || es256_to_der(sig, der)) &&
            digest_verify(key_->pkey.get(), signed_part, der);
  } else {
    return refuse("bad_token", "the token's algorithm \"" + alg.substr(0, 16) +
                                   "\" is not accepted by this server");
  }
  if (!valid) return refuse("bad_token", "the token's signature does not verify");
  VerifyResult r;
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->value().is_string() || sub->value().get_string().empty())
    return refuse("bad_token", "the token names no user (sub)");
  if (!int_claim(claims, "exp", r.exp)) return refuse("bad_token", "the token has no expiry (exp)");
  if (now_s > r.exp + skew_s_) return refuse("token_expired", "the token has expired");
  std::int64_t nbf = 0;
  if (int_claim(claims, "nbf", nbf) && now_s + skew_s_ < nbf)
    return refuse("bad_token", "the token is not valid yet (nbf)");
  r.ok = true;
  r.user = std::string(sub->value().get_string());
  return r;
}

std::string sign_token(const std::string& alg, const std::string& key, const std::string& user,
                       std::int64_t exp, std::int64_t iat) {
  std::string header = json::serialize(json::object{{"alg", alg}, {"typ", "JWT"}});
  std::string claims = json::serialize(json::object{{"sub", user}, {"iat", iat}, {"exp", exp}});
  std::string signed_part = base64url_encode(header) + "." + base64url_encode(claims);
  std::string sig;
  if (alg == "HS256") {
    if (key.empty()) throw std::runtime_error("HS256 needs a secret");
    sig = hmac_sha256(key, signed_part);
  } else if (alg == "RS256" || alg == "ES256") {
    auto k = read_pem(key, true);
    if (!k || alg_of(k.get()) != alg)
      throw std::runtime_error(alg + " needs a PEM private key of that kind");
    sig = digest_sign(k.get(), signed_part);
    if (alg == "ES256") sig = der_to_es256(sig);
  } else {
    throw std::runtime_error("unknown algorithm " + alg + " (HS256, RS256 or ES256)");
  }
  return signed_part + "." + base64url_encode(sig);
}

}  // namespace roomctl::auth
