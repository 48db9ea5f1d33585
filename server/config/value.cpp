// Scalar parsing for profile values. Strict: "12abc" is not an integer, "5" is not a duration.
#include "server/config/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace roomctl::config {
namespace {

bool parse_int(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

// Splits "250ms" into 250 and "ms".
bool split_number_unit(std::string_view s, double& number, std::string_view& unit) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return false;
  unit = s.substr(i);
  return parse_double(s.substr(0, i), number);
}

bool parse_duration(std::string_view s, std::int64_t& ms) {
  double n;
  std::string_view unit;
  if (!split_number_unit(s, n, unit)) return false;
  double factor;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else
    return false;
  ms = static_cast<std::int64_t>(std::llround(n * factor));
  return true;
}

bool parse_bytes(std::string_view s, std::int64_t& bytes) {
  double n;
  std::string_view unit;
  if (!split_number_unit(s, n, unit)) return false;
  double factor;
  if (unit.empty() || unit == "B")
    factor = 1;
  else if (unit == "KiB")
    factor = 1024.0;
  else if (unit == "MiB")
    factor = 1024.0 * 1024;
  else if (unit == "GiB")
    factor = 1024.0 * 1024 * 1024;
  else if (unit == "KB" || unit == "kB")
    factor = 1e3;
  else if (unit == "MB")
    factor = 1e6;
  else if (unit == "GB")
    factor = 1e9;
  else
    return false;
  bytes = static_cast<std::int64_t>(std::llround(n * factor));
  return true;
}

bool parse_address(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::int64_t port;
  return parse_int(s.substr(colon + 1), port) && port >= 0 && port <= 65535;
}

std::string bounds_error(const Spec& spec, double v) {
  if (v < spec.min || v > spec.max) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "must be between %g and %g", spec.min, spec.max);
    return buf;
  }
  return "";
}
}  // namespace

std::string parse_value(const Spec& spec, std::string_view text, Value& out) {
  std::string expected =
      std::string("expected ") + type_name(spec.type) + ", got \"" + std::string(text) + "\"";
  switch (spec.type) {
    case Type::integer: {
      std::int64_t v;
      if (!parse_int(text, v)) return expected;
      out = v;
      return bounds_error(spec, static_cast<double>(v));
    }
    case Type::number: {
      double v;
      if (!parse_double(text, v)) return expected;
      out = v;
      return bounds_error(spec, v);
    }
    case Type::boolean:
      if (text == "true")
        out = true;
      else if (text == "false")
        out = false;
      else
        return expected;
      return "";
    case Type::duration: {
      std::int64_t v;
      if (!parse_duration(text, v)) return expected;
      out = v;
      return bounds_error(spec, static_cast<double>(v));
    }
    case Type::bytes: {
      std::int64_t v;
      if (!parse_bytes(text, v)) return expected;
      out = v;
      return bounds_error(spec, static_cast<double>(v));
    }
    case Type::address:
      if (!parse_address(text)) return expected;
      out = std::string(text);
      return "";
    case Type::string: {
      out = std::string(text);
      if (spec.choices.empty()) return "";
      for (const auto& c : spec.choices)
        if (c == text) return "";
      std::string msg = "must be one of";
      for (const auto& c : spec.choices) msg += " " + c;
      return msg + ", got \"" + std::string(text) + "\"";
    }
  }
  return expected;
}

std::string format_duration_ms(std::int64_t ms) {
  if (ms != 0 && ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_bytes(std::int64_t b) {
  if (b != 0 && b % (1LL << 30) == 0) return std::to_string(b >> 30) + "GiB";
  if (b != 0 && b % (1LL << 20) == 0) return std::to_string(b >> 20) + "MiB";
  if (b != 0 && b % (1LL << 10) == 0) return std::to_string(b >> 10) + "KiB";
  return std::to_string(b);
}

std::string format_value(Type type, const Value& v) {
  switch (type) {
    case Type::integer:
      return std::to_string(std::get<std::int64_t>(v));
    case Type::number: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", std::get<double>(v));
      return buf;
    }
    case Type::boolean:
      return std::get<bool>(v) ? "true" : "false";
    case Type::duration:
      return format_duration_ms(std::get<std::int64_t>(v));
    case Type::bytes:
      return format_bytes(std::get<std::int64_t>(v));
    case Type::string:
    case Type::address:
      return std::get<std::string>(v);
  }
  return "";
}

}  // namespace roomctl::config
