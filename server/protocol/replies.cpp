// Outbound frame builders.
#include "server/protocol/replies.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace roomctl::protocol {

std::string error_json(std::string_view code, std::string_view message) {
  boost::json::object o;
  o["type"] = "error";
  o["code"] = code;
  o["message"] = message;
  return boost::json::serialize(o);
}

Frame frame(const boost::json::object& o) {
  return make_frame(boost::json::serialize(o));
}

Frame error_frame(std::string_view code, std::string_view message) {
  return make_frame(error_json(code, message));
}

Frame ping_frame() {
  static const Frame f = make_frame(R"({"type":"ping"})");
  return f;
}

}  // namespace roomctl::protocol
