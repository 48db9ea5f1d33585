// Reading fields of an inbound message body, the one way every layer does it (the dispatcher,
// the rooms runtime and the games): a missing field keeps the caller's fallback, a field of the
// wrong type is reported, never guessed at.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace roomctl::protocol {

// Absent or null -> `out` unchanged and true; present with the wrong type -> false.
bool get_string(const boost::json::object& o, std::string_view key, std::string& out);
bool get_int(const boost::json::object& o, std::string_view key, std::int64_t& out);
// The string at `key`, or "" when it is absent or not a string (for optional display text).
std::string text_field(const boost::json::object& o, std::string_view key);
// `s` without leading and trailing ASCII white space.
std::string trimmed(std::string_view s);

}  // namespace roomctl::protocol
