// Routes one validated inbound message: identity binding and the user_mismatch FIX, then
// app features (direct messages, app_opened, friends, invites) here, game messages to rooms.
// Runs on the sending connection's executor; shared state is reached through thread-safe services.
#pragma once

#include <atomic>
#include <string>

#include "server/protocol/envelope.hpp"
#include "server/runtime/client.hpp"
#include "server/util/clock.hpp"

namespace roomctl::metrics {
struct ServerMetrics;
}

namespace roomctl::runtime {

class UserDirectory;
class Presence;
class RoomService;
class DirectMessages;
class IdentityGuard;
struct GameEntry;
class AbuseLimits;

struct DispatcherOptions {
  std::size_t max_id_length;
};

class Dispatcher {
 public:
  // How connections parse their messages before handing them here: the id limit, and which
  // types need no body (the catalogue's relayed types).
  protocol::EnvelopeLimits envelope_limits() const;
  Dispatcher(DispatcherOptions options, UserDirectory& directory, Presence& presence,
             DirectMessages& dms, RoomService& rooms, metrics::ServerMetrics& metrics,
             IdentityGuard& identity, AbuseLimits& abuse);

  void handle(Client& client, protocol::Envelope& env, const Frame& raw);
  void on_close(Client& client);
  // Called when the server starts shutting down (SIGTERM/SIGINT): from then on it is
  // "restarting", and closing sockets are not player disconnects: the rooms keep their state as
  // it was (the restarted server starts every member disconnected anyway). Not the admin drain.
  void set_restarting() { restarting_ = true; }
  // Sends {"type":"error",...} and counts it.
  void reply_error(Client& client, std::string_view code, std::string_view message);

 private:
  // What a userId new to a bound connection currently is, for may_switch_identity.
  enum class ClaimedIdentity { unused, seated_in_grace, live_elsewhere };
  bool bind_identity(Client& client, const std::string& claimed, bool claimed_by_user_id,
                     const boost::json::object& body);
  bool may_switch_identity(const Client& client, const std::string& claimed,
                           ClaimedIdentity state) const;
  void release_identity(Client& client);
  // Refusals that name no limit but an attack (forged frames): counted in auth_refusals.
  void refuse_forgery(Client& client, const char* reason, std::string_view code,
                      std::string_view message);
  void handle_bound(Client& client, protocol::Envelope& env, const Frame& raw,
                    const GameEntry* game);
  void handle_dm(Client& client, protocol::Envelope& env, const Frame& raw);
  void handle_app(Client& client, protocol::Envelope& env);
  void handle_friend(Client& client, protocol::Envelope& env);
  void handle_invite(Client& client, protocol::Envelope& env, const Frame& raw);
  bool require_user(Client& client);

  DispatcherOptions options_;
  UserDirectory& directory_;
  Presence& presence_;
  DirectMessages& dms_;
  RoomService& rooms_;
  metrics::ServerMetrics& metrics_;
  IdentityGuard& identity_;
  AbuseLimits& abuse_;
  std::atomic<bool> restarting_{false};  // restarting: a close is not a leave (see set_restarting)
};

}  // namespace roomctl::runtime
