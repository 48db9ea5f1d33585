// Inbound message envelope: {"EventFrom":F,"type":T,"userId":U,"roomId":R,...}.
// parse_envelope() never throws: every malformed input maps to an error code for the client.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "server/protocol/fields.hpp"

namespace roomctl::protocol {

enum class Family { spy, skribble, dm, app, friends, none };

struct Envelope {
  Family family = Family::none;
  std::string type;
  std::string user_id;  // empty when absent
  std::string room_id;  // empty when absent
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

std::string_view family_name(Family f);  // metric label: spy, skribble, dm, app, friend, none

}  // namespace roomctl::protocol
