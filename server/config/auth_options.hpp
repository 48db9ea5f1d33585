// Who may act as whom, and how much one user or one address may do: the `auth.*` and `abuse.*`
// keys of the serve profile (docs/operations.md §Identities and abuse limits). Kept apart from
// serve_options.cpp, which holds everything else, to keep both files short.
#pragma once

#include <cstdint>
#include <string>

namespace roomctl::config {

class Schema;
class Settings;

struct AuthOptions {
  std::string mode;            // none (ORIG: a userId is taken on trust) or token
  std::string secret;          // HS256 shared secret (auth.secret or auth.secret_file)
  std::string public_key_pem;  // RS256/ES256 public key (auth.public_key_file), read at load
  std::int64_t clock_skew_ms;
};

// Every limit is per minute or at once; 0 turns it off.
struct AbuseOptions {
  std::int64_t room_creations_per_user;     // per minute
  std::int64_t room_creations_per_address;  // per minute
  std::int64_t rooms_held_per_user;         // rooms a user created that still exist
  std::int64_t dms_per_user;                // direct messages per minute
  std::int64_t identities_per_address;      // userId bindings per address per minute
  std::int64_t connections_per_address;     // open WebSocket connections
};

void add_auth_schema(Schema& schema);
// Throws ConfigError on an unreadable file or a short secret. (Token mode without a key is a
// refusal of `serve` only: `check` validates a profile whose secrets come at deploy time.)
void read_auth_options(const Settings& settings, AuthOptions& auth, AbuseOptions& abuse);

}  // namespace roomctl::config
