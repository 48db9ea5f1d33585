// Field readers shared by every message handler.
#include "server/protocol/fields.hpp"

#include <cmath>

namespace roomctl::protocol {

bool get_string(const boost::json::object& o, std::string_view key, std::string& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return true;
  if (!it->value().is_string()) return false;
  out.assign(it->value().get_string().data(), it->value().get_string().size());
  return true;
}

bool get_int(const boost::json::object& o, std::string_view key, std::int64_t& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return true;
  if (it->value().is_int64())
    out = it->value().get_int64();
  else if (it->value().is_uint64() &&
           it->value().get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    out = static_cast<std::int64_t>(it->value().get_uint64());
  else if (double d = it->value().is_double() ? it->value().get_double() : 0.5;
           // In range before the conversion: converting 1e300 to an integer is undefined.
           it->value().is_double() && d >= -9.2e18 && d <= 9.2e18 && d == std::trunc(d))
    out = static_cast<std::int64_t>(d);
  else
    return false;
  return true;
}

std::string text_field(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

std::string trimmed(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace roomctl::protocol
