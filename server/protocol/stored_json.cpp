// Lenient parse of stored JSON with UTF-8 repair (see stored_json.hpp).
#include "server/protocol/stored_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include "server/protocol/utf8.hpp"

namespace roomctl::protocol {
namespace {

void repair(boost::json::value& v) {
  if (auto* s = v.if_string()) {
    if (!valid_utf8(*s)) *s = sanitize_utf8(*s);
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) repair(e);
  } else if (auto* o = v.if_object()) {
    bool bad_key = false;
    for (auto& kv : *o) {
      repair(kv.value());
      bad_key = bad_key || !valid_utf8(kv.key());
    }
    if (bad_key) {  // keys are immutable in place: rebuild the object (rare: old data only)
      boost::json::object fixed(o->storage());
      for (auto& kv : *o) fixed[sanitize_utf8(kv.key())] = std::move(kv.value());
      *o = std::move(fixed);
    }
  }
}

}  // namespace

boost::json::value parse_stored_json(std::string_view text) {
  boost::json::parse_options opt;
  opt.allow_invalid_utf8 = true;
  boost::json::value v = boost::json::parse(text, {}, opt);
  repair(v);
  return v;
}

}  // namespace roomctl::protocol
