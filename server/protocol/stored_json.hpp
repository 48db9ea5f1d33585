// Parsing JSON that the server wrote earlier (room snapshots in the state store). Snapshots
// written before the UTF-8 rules could hold a name cut inside a multi-byte letter; a strict
// parse refuses the whole snapshot and the room would be lost on restart. This parse accepts such
// text and repairs every string instead, so the room comes back and sends valid UTF-8 again.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

namespace roomctl::protocol {

// Parses `text` like boost::json::parse (throws boost::system::system_error on bad JSON), but
// accepts invalid UTF-8 inside strings and replaces each invalid byte, in keys and values, with
// U+FFFD. Valid text parses to exactly what the strict parser gives.
boost::json::value parse_stored_json(std::string_view text);

}  // namespace roomctl::protocol
