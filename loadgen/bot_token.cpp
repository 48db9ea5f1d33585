// Bot tokens (HS256, the target's auth.secret).
#include "loadgen/bot_token.hpp"

#include "server/auth/jwt.hpp"
#include "server/util/clock.hpp"

namespace roomctl::loadgen {

std::string bot_upgrade_query(const LoadtestOptions& o, const std::string& user) {
  if (o.token_secret.empty()) return "";
  // A day: longer than any run; a reconnecting bot mints a fresh one anyway.
  std::int64_t now = wall_now_ms() / 1000;
  return "?token=" + auth::sign_token("HS256", o.token_secret, user, now + 86'400, now);
}

}  // namespace roomctl::loadgen
