// Helpers for the tests of identities and abuse limits: a server in token mode, tokens for it,
// and a raw WebSocket upgrade (for headers WsClient does not send).
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "server/auth/jwt.hpp"
#include "tests/integration/raw_socket.hpp"

namespace roomctl::test {

inline const std::string kAuthSecret = "integration-test-secret-0123456789";

// --set overrides for a server in auth.mode token, plus `more`.
inline std::vector<std::string> token_mode(std::vector<std::string> more = {}) {
  std::vector<std::string> s{"auth.mode=token", "auth.secret=" + kAuthSecret};
  s.insert(s.end(), more.begin(), more.end());
  return s;
}

inline std::string token_for(const std::string& user, std::int64_t ttl_s = 3600) {
  std::int64_t now = std::time(nullptr);
  return auth::sign_token("HS256", kAuthSecret, user, now + ttl_s, now - 1);
}

inline std::string app_opened(const std::string& user, const std::string& extra = "") {
  return R"({"EventFrom":"App","type":"app_opened","userId":")" + user + "\"" + extra + "}";
}

// The HTTP answer to a WebSocket upgrade of `path` with `headers` (CRLF-terminated lines);
// the socket stays open for frames after a 101.
inline std::string raw_upgrade(RawSocket& s, const std::string& path,
                               const std::string& headers = "") {
  s.write("GET " + path +
          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
          headers + "\r\n");
  return s.read_some(2000);
}

}  // namespace roomctl::test
