// Key pairs for the tests of RS256/ES256 tokens, made in-process with OpenSSL (no key files in
// the repository, no openssl tool needed). Shared by the unit and the integration tests.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>
#include <string>

namespace roomctl::test {

struct KeyPair {
  std::string private_pem, public_pem;
};

inline KeyPair make_key_pair(bool rsa) {
  EVP_PKEY* k = rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!k) throw std::runtime_error("key generation failed");
  auto text = [](BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return s;
  };
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, k, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, k);
  EVP_PKEY_free(k);
  return {text(priv), text(pub)};
}

}  // namespace roomctl::test
