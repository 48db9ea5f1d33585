// Parsing and printing of typed setting values (durations like "30s", sizes like "64KiB").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "server/config/schema.hpp"

namespace roomctl::config {

// integer, duration (milliseconds) and bytes are int64; number is double; boolean; string/address.
using Value = std::variant<std::int64_t, double, bool, std::string>;

// Parses `text` as a value of `spec`'s type and checks its bounds and choices.
// Returns an empty string on success, else a message saying what was expected.
std::string parse_value(const Spec& spec, std::string_view text, Value& out);

// Canonical text of a value, parseable again by parse_value.
std::string format_value(Type type, const Value& value);

std::string format_duration_ms(std::int64_t ms);
std::string format_bytes(std::int64_t bytes);

}  // namespace roomctl::config
