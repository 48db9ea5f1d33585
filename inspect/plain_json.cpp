// A compact JSON writer that delegates strings to Boost.JSON (escaping) and prints numbers in
// fixed notation, shortest round-trip.
#include "inspect/plain_json.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

namespace roomctl::inspect {

namespace json = boost::json;

std::string plain_number(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN or infinity
  char buf[400];                         // fixed notation of 1e308 needs 309 digits
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (ec != std::errc()) return json::serialize(json::value(v));
  return std::string(buf, end);
}

namespace {
void write(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(k));
        out += ':';
        write(out, val);
      }
      out += '}';
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write(out, e);
      }
      out += ']';
      break;
    }
    case json::kind::double_:
      out += plain_number(v.get_double());
      break;
    default:
      out += json::serialize(v);
      break;
  }
}
}  // namespace

std::string plain_json(const json::value& v) {
  std::string out;
  write(out, v);
  return out;
}

}  // namespace roomctl::inspect
