// Inbound message envelope: {"EventFrom":F,"type":T,"userId":U,"roomId":R,...}.
// parse_envelope() never throws: every malformed input maps to an error code for the client.
// It reads the envelope's fields in one pass without building the message (a SAX scan); only a
// message whose body somebody reads is then parsed into a JSON object. Drawing messages (nearly
// all of a drawing game's input) are relayed byte for byte, so their body is never built.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "server/protocol/dialect.hpp"
#include "server/protocol/fields.hpp"

namespace roomctl::protocol {

// The EventFrom families the server handles itself; every other EventFrom names a game, which the
// rooms runtime looks up in its game catalogue (Envelope::event_from): the protocol layer knows
// no game by name.
enum class Family { game, dm, app, friends, none };

struct Envelope {
  Family family = Family::none;
  std::string event_from;  // as sent; for Family::game, the game's wire name (e.g. SpyGame)
  std::string type;
  std::string user_id;  // empty when absent
  std::string room_id;  // empty when absent
  // legacy_app when the frame has no EventFrom (a game then claims it by its type, if any game
  // knows that type in the legacy dialect).
  Dialect dialect = Dialect::event_from;
  boost::json::object body;  // empty when the message's type is one whose body nobody reads
};

struct ParseResult {
  bool ok = false;
  Envelope envelope;
  std::string error_code;  // bad_json, not_object, missing_type, bad_field, unknown_event_from, ...
  std::string error_message;
};

struct EnvelopeLimits {
  std::size_t max_id_length = 128;
  // Types whose body nobody reads (a game relays them as received): no body is built for them,
  // unless they carry a proof of identity (token, resumeSecret, resume), which the identity
  // step reads and strips. nullptr: every message gets its body.
  bool (*body_unused)(std::string_view type) = nullptr;
};

ParseResult parse_envelope(std::string_view text, const EnvelopeLimits& limits);

std::string_view family_name(Family f);  // metric label: game, dm, app, friend, none

}  // namespace roomctl::protocol
