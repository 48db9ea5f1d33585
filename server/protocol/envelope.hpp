// Inbound message envelope: {"EventFrom":F,"type":T,"userId":U,"roomId":R,...}.
// parse_envelope() never throws: every malformed input maps to an error code for the client.
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
  boost::json::object body;
};

struct ParseResult {
  bool ok = false;
  Envelope envelope;
  std::string error_code;  // bad_json, not_object, missing_type, bad_field, unknown_event_from, ...
  std::string error_message;
};

struct EnvelopeLimits {
  std::size_t max_id_length = 128;
};

ParseResult parse_envelope(std::string_view text, const EnvelopeLimits& limits);

std::string_view family_name(Family f);  // metric label: game, dm, app, friend, none

}  // namespace roomctl::protocol
