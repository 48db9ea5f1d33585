// The auth.* and abuse.* keys: schema, defaults and their typed options.
#include "server/config/auth_options.hpp"

#include <fstream>
#include <sstream>

#include "server/config/schema.hpp"
#include "server/config/settings.hpp"

namespace roomctl::config {
namespace {
std::string read_file(const Settings& s, const std::string& key) {
  const auto& path = s.string(key);
  if (path.empty()) return "";
  std::ifstream in(path);
  if (!in) throw ConfigError(key + ": cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Secrets end at the first line break: files written by `echo` carry one.
std::string first_line(std::string text) {
  auto nl = text.find_first_of("\r\n");
  if (nl != std::string::npos) text.resize(nl);
  return text;
}
}  // namespace

void add_auth_schema(Schema& s) {
  constexpr double kMax = 10'000'000;
  s.add({"auth.mode",
         Type::string,
         "none",
         "none: a userId is taken on trust (ORIG); token: a signed token proves it",
         -1e300,
         1e300,
         {"none", "token"}})
      .add({"auth.secret", Type::string, "",
            "HS256 shared secret (set it through ROOMCTL_AUTH_SECRET, not in the profile)"})
      .add({"auth.secret_file", Type::string, "", "file holding the HS256 secret"})
      .add({"auth.public_key_file", Type::string, "",
            "PEM public key of the login service: RSA for RS256, EC P-256 for ES256"})
      .add({"auth.clock_skew", Type::duration, "30s",
            "a token is accepted this long past its exp (clocks differ)", 0, 3'600'000})
      .add({"abuse.room_creations_per_user", Type::integer, "60",
            "rooms one user may create per minute; 0 = no limit", 0, kMax})
      .add({"abuse.room_creations_per_address", Type::integer, "0",
            "rooms one IP address may create per minute; 0 = no limit", 0, kMax})
      .add({"abuse.rooms_held_per_user", Type::integer, "20",
            "rooms created by one user that exist at once; 0 = no limit", 0, kMax})
      .add({"abuse.dms_per_user", Type::integer, "600",
            "direct messages one user may send per minute; 0 = no limit", 0, kMax})
      .add({"abuse.identities_per_address", Type::integer, "0",
            "userId bindings (logins, reconnects) from one IP address per minute; 0 = no limit", 0,
            kMax})
      .add({"abuse.connections_per_address", Type::integer, "0",
            "open WebSocket connections from one IP address; 0 = no limit", 0, kMax});
}

void read_auth_options(const Settings& s, AuthOptions& auth, AbuseOptions& abuse) {
  auth.mode = s.string("auth.mode");
  auth.secret = s.string("auth.secret");
  if (auth.secret.empty()) auth.secret = first_line(read_file(s, "auth.secret_file"));
  auth.public_key_pem = read_file(s, "auth.public_key_file");
  auth.clock_skew_ms = s.millis("auth.clock_skew");
  if (!auth.secret.empty() && auth.secret.size() < 16)
    throw ConfigError("auth.secret: use at least 16 characters (32 random bytes are better)");
  abuse.room_creations_per_user = s.integer("abuse.room_creations_per_user");
  abuse.room_creations_per_address = s.integer("abuse.room_creations_per_address");
  abuse.rooms_held_per_user = s.integer("abuse.rooms_held_per_user");
  abuse.dms_per_user = s.integer("abuse.dms_per_user");
  abuse.identities_per_address = s.integer("abuse.identities_per_address");
  abuse.connections_per_address = s.integer("abuse.connections_per_address");
}

}  // namespace roomctl::config
