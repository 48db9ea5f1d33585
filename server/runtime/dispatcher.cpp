// Message routing and the app-level features of ORIG (docs/protocol.md: identity, direct
// messages, friends and invites). Game messages go to the RoomService.
#include "server/runtime/dispatcher.hpp"

#include <boost/json/serialize.hpp>
#include <utility>

#include "server/metrics/server_metrics.hpp"
#include "server/protocol/replies.hpp"
#include "server/protocol/server_types.hpp"
#include "server/protocol/utf8.hpp"
#include "server/runtime/abuse_limits.hpp"
#include "server/runtime/direct_messages.hpp"
#include "server/runtime/game_catalogue.hpp"
#include "server/runtime/identity_guard.hpp"
#include "server/runtime/presence.hpp"
#include "server/runtime/room_service.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/util/log.hpp"

namespace roomctl::runtime {

using protocol::Family;

Dispatcher::Dispatcher(DispatcherOptions options, UserDirectory& directory, Presence& presence,
                       DirectMessages& dms, RoomService& rooms, metrics::ServerMetrics& metrics,
                       IdentityGuard& identity, AbuseLimits& abuse)
    : options_(options),
      directory_(directory),
      presence_(presence),
      dms_(dms),
      rooms_(rooms),
      metrics_(metrics),
      identity_(identity),
      abuse_(abuse) {}

protocol::EnvelopeLimits Dispatcher::envelope_limits() const {
  return {options_.max_id_length, &body_unused};
}

void Dispatcher::reply_error(Client& client, std::string_view code, std::string_view message) {
  metrics_.client_errors.with({std::string(code)}).inc();
  metrics_.frames_queued.with({"error"}).inc();
  client.send(protocol::error_frame(code, message));
}

void Dispatcher::refuse_forgery(Client& client, const char* reason, std::string_view code,
                                std::string_view message) {
  metrics_.auth_refusals.with({reason}).inc();
  reply_error(client, code, message);
}

bool Dispatcher::require_user(Client& client) {
  if (!client.user.empty()) return true;
  reply_error(client, "not_identified", "send a userId first: this connection has no user yet");
  return false;
}

// Whether a bound connection may go on as another user. The public app gets a new userId from
// its HTTP service for every room and uses it on the socket it keeps for the whole session, and
// ORIG re-maps the socket. Without authentication any socket may claim any id anyway (a new
// socket takes a user over), so the switch is allowed in every state of the claimed id: an unused
// id or one seated within its grace is simply bound; one live elsewhere is taken over as a new
// socket would (its connection closes with 4001). The new id then passes the IdentityGuard as
// on a new socket (bind_identity): a token for it in token mode, the resume secret of a user who
// opted in.
bool Dispatcher::may_switch_identity(const Client&, const std::string&, ClaimedIdentity) const {
  return true;
}

// The connection's user goes offline as on a socket close: its seats are kept for the reconnect
// grace, the others see it go offline.
void Dispatcher::release_identity(Client& client) {
  std::string user = std::exchange(client.user, std::string());
  client.dm_delivery.reset();  // a delivery belongs to the user it was opened for
  std::vector<std::string> rooms;
  if (!directory_.unbind(user, client.outbox->id(), wall_now_ms(), rooms)) return;
  if (restarting_) return;  // restarting: the seat is kept, no presence or room change
  presence_.went_offline(user);
  if (!rooms.empty()) rooms_.disconnected(user, rooms);
}

// ORIG binds a connection to the first userId it sees and re-maps it to a later one. A claim
// made in another field (a Friend message's sender) never switches: it is refused
// (user_mismatch). The same userId on a new socket takes the user over. Either way the new id
// must pass the IdentityGuard as on a new socket (a token for it in token mode, the resume
// secret of an opted-in user) and the address's identity rate.
bool Dispatcher::bind_identity(Client& client, const std::string& claimed, bool claimed_by_user_id,
                               const boost::json::object& body) {
  if (claimed.empty() || claimed == client.user) return true;
  if (!client.user.empty()) {
    auto state = directory_.online(claimed)          ? ClaimedIdentity::live_elsewhere
                 : directory_.rooms(claimed).empty() ? ClaimedIdentity::unused
                                                     : ClaimedIdentity::seated_in_grace;
    if (!claimed_by_user_id || !may_switch_identity(client, claimed, state)) {
      reply_error(client, "user_mismatch",
                  "this connection belongs to another user; open a new connection to switch users");
      return false;
    }
  }
  // Checked before a switch releases the old user: a refused switch leaves the connection as it
  // was.
  if (auto refusal = identity_.may_bind(client, claimed, body); !refusal.code.empty()) {
    reply_error(client, refusal.code, refusal.message);
    return false;
  }
  // Presence churn: one address cycling through userIds (abuse.identities_per_address).
  if (!abuse_.identity(client.address, wall_now_ms())) {
    reply_error(
        client, "identity_rate",
        "too many users bound from this address; wait a minute (abuse.identities_per_address)");
    return false;
  }
  if (!client.user.empty()) {
    log::debug("user_switched", {{"from", client.user}, {"to", claimed}});
    release_identity(client);
  }
  auto r = directory_.bind(claimed, client.outbox, client.dialect);
  client.user = claimed;
  identity_.bound(client, body);
  if (r.replaced) {
    r.replaced->close(close_code::replaced, "replaced by a newer connection of the same user");
  }
  presence_.bound(claimed, r.replaced != nullptr);
  if (!r.rooms.empty()) rooms_.reconnected(claimed, r.rooms);
  if (r.reconnect) log::debug("user_reconnected", {{"user", claimed}});
  return true;
}

void Dispatcher::handle(Client& client, protocol::Envelope& env, const Frame& raw) {
  // Games are known only to the catalogue: an EventFrom that is no game's is refused here. A
  // frame without EventFrom is a game's when its type is one of the game's legacy types.
  const GameEntry* game = game_for(env);
  if (game) {
    env.family = Family::game;
    // The latest game frame sets the connection's dialect (docs/protocol.md §dialects), before
    // a bind or reconnect below makes rooms answer in it.
    if (client.dialect != env.dialect) {
      client.dialect = env.dialect;
      if (!client.user.empty()) directory_.set_dialect(client.user, client.dialect);
    }
  }
  if (env.family == Family::game && !game) {
    reply_error(client, "unknown_event_from",
                "unknown EventFrom \"" +
                    std::string(protocol::truncate_code_points(env.event_from, 32)) + "\"");
    return;
  }
  // The metric label of a game's messages is the game's name (spy, skribble).
  metrics_.messages_in
      .with({game ? std::string(game->name) : std::string(protocol::family_name(env.family))})
      .inc();

  // Which field names the speaker: ORIG's Friend messages carry it in their own fields.
  std::string claimed = env.user_id;
  if (env.family == Family::friends && claimed.empty()) {
    std::string field = env.type == "accept" ? "reciverUserId" : "senderUserId";
    if (!protocol::get_string(env.body, field, claimed)) {
      reply_error(client, "bad_field", field + " must be a string");
      return;
    }
  }
  // A connection that proved a user with its upgrade is that user, whether a message names it
  // or not.
  if (claimed.empty() && client.user.empty()) claimed = client.proven_user;
  if (claimed.size() > options_.max_id_length) {
    reply_error(client, "bad_field", "user id is too long");
    return;
  }
  if (!bind_identity(client, claimed, !env.user_id.empty(), env.body)) return;
  // A proof never travels on: DMs, invites and drawing messages are relayed verbatim, and would
  // hand the sender's token or resume secret to their receivers.
  Frame cleaned;
  if (env.body.erase("token") + env.body.erase("resumeSecret") > 0)
    cleaned = make_frame(boost::json::serialize(env.body));
  handle_bound(client, env, cleaned ? cleaned : raw, game);
}

void Dispatcher::handle_bound(Client& client, protocol::Envelope& env, const Frame& raw,
                              const GameEntry* game) {
  switch (env.family) {
    case Family::dm:
      return handle_dm(client, env, raw);
    case Family::app:
      return handle_app(client, env);
    case Family::friends:
      return handle_friend(client, env);
    case Family::game:
      if (env.type == "invite_friend") return handle_invite(client, env, raw);
      // The one identity step for game messages too; a quick join needs none (as in ORIG).
      if (!game->quick_join(env.type) && !require_user(client)) return;
      return rooms_.handle(*game, client, env, raw);
    case Family::none:
      if (env.type == "pong" || env.type == "ping") return;  // app-level keepalive replies
      reply_error(client, "missing_event_from", "message has no \"EventFrom\"");
      return;
  }
}

void Dispatcher::handle_dm(Client& client, protocol::Envelope& env, const Frame& raw) {
  if (!require_user(client)) return;
  std::string receiver;
  for (const char* field : {"receiverID", "receiverId", "reciverUserId"}) {
    if (!protocol::get_string(env.body, field, receiver)) {
      reply_error(client, "bad_field", std::string(field) + " must be a string");
      return;
    }
    if (!receiver.empty()) break;
  }
  if (receiver.empty() || receiver.size() > options_.max_id_length) {
    reply_error(client, "bad_field", "receiverID is required");
    return;
  }
  // FIX: ORIG relays a DM verbatim whatever its type, so a user could send another a fake
  // game_ended, room_closed or error. Types the server sends are refused; others (chat, typing,
  // read receipts, ...) pass.
  if (protocol::is_server_type(env.type)) {
    return refuse_forgery(client, "forged_type", "forged_type",
                          "\"" + std::string(protocol::truncate_code_points(env.type, 64)) +
                              "\" is a type the server sends; a direct message cannot use it");
  }
  if (!abuse_.dm(client.user, wall_now_ms())) {
    reply_error(client, "dm_rate", "too many direct messages; wait a minute (abuse.dms_per_user)");
    return;
  }
  env.body["type"] = "queued_message";
  dms_.send(client, receiver, raw, boost::json::serialize(env.body));
}

// app_opened delivers the queue; a client that adds "ackQueued":true acknowledges what it took
// with queued_ack{upTo} (at-least-once across a crash of the client, docs/protocol.md).
void Dispatcher::handle_app(Client& client, protocol::Envelope& env) {
  if (env.type != "app_opened" && env.type != "queued_ack") {
    reply_error(client, "unknown_type", "unknown App message type \"" + env.type + "\"");
    return;
  }
  if (!require_user(client)) return;
  if (env.type == "app_opened") {
    auto it = env.body.find("ackQueued");
    dms_.open(client, it != env.body.end() && it->value().is_bool() && it->value().get_bool());
    return;
  }
  auto it = env.body.find("upTo");
  if (it == env.body.end() || !it->value().is_int64()) {
    reply_error(client, "bad_field", "upTo must be the queueSeq of the last message taken");
    return;
  }
  dms_.acknowledge(client, it->value().get_int64());
}

void Dispatcher::handle_friend(Client& client, protocol::Envelope& env) {
  std::string sender, receiver, name;
  if (!protocol::get_string(env.body, "senderUserId", sender) ||
      !protocol::get_string(env.body, "reciverUserId", receiver) ||
      !protocol::get_string(env.body, "receiverUserId", receiver) ||
      !protocol::get_string(env.body, "senderName", name)) {
    reply_error(client, "bad_field", "friend fields must be strings");
    return;
  }
  // FIX: ORIG takes the sender of a request (and the accepter of an accept) from the message, so
  // anyone could send a request or an acceptance in another user's name. It must be the
  // connection's own user.
  const std::string& speaker = env.type == "accept" ? receiver : sender;
  if ((env.type == "request" || env.type == "accept") &&
      (speaker.empty() || speaker != client.user)) {
    return refuse_forgery(client, "spoofed_sender", "user_mismatch",
                          env.type == "accept" ? "reciverUserId must be this connection's user"
                                               : "senderUserId must be this connection's user");
  }
  if (env.type == "request") {
    if (receiver.empty()) return reply_error(client, "bad_field", "receiverUserId is required");
    directory_.send(receiver,
                    protocol::frame({{"type", "friend_request"},
                                     {"senderUserId", sender},
                                     {"reciverUserId", receiver},
                                     {"senderName", name}}));  // dropped if offline (ORIG)
  } else if (env.type == "accept") {
    if (sender.empty()) return reply_error(client, "bad_field", "senderUserId is required");
    directory_.send(sender, protocol::frame({{"type", "friend_accept"},
                                             {"reciverUserId", receiver},
                                             {"senderUserId", sender}}));
  } else {
    reply_error(client, "unknown_type", "unknown Friend message type \"" + env.type + "\"");
  }
}

void Dispatcher::handle_invite(Client& client, protocol::Envelope& env, const Frame& raw) {
  if (!require_user(client)) return;
  std::string friend_id;
  if (!protocol::get_string(env.body, "FriendUserId", friend_id) || friend_id.empty()) {
    reply_error(client, "bad_field", "FriendUserId must be a non-empty string");
    return;
  }
  // The invite is relayed verbatim: a sender field in it must name the inviter itself.
  std::string sender;
  if (!protocol::get_string(env.body, "senderUserId", sender) ||
      (!sender.empty() && sender != client.user)) {
    return refuse_forgery(client, "spoofed_sender", "user_mismatch",
                          "senderUserId must be this connection's user");
  }
  if (!directory_.send(friend_id, raw)) {
    client.send(make_frame(R"({"type":"friend_not_found"})"));
  }
}

void Dispatcher::on_close(Client& client) {
  if (client.user.empty() || !client.outbox) return;
  std::string user = client.user;
  release_identity(client);
  client.user = std::move(user);  // the closed connection still names its last user
}

}  // namespace roomctl::runtime
