// Fuzzes protocol::parse_envelope, the first thing every inbound WebSocket text frame meets, with
// arbitrary bytes, and the body accessors (get_string, get_int) handlers use on what it returns.
// Invariants: it never crashes or throws; a failure carries a known error code and a message; a
// success obeys the documented limits: "type" is a string of 1 to 64 bytes equal to the body's,
// userId and roomId are at most max_id_length bytes and equal the body's field (numbers as their
// decimal text), the family matches "EventFrom", and every string is valid UTF-8.
#include <boost/json.hpp>
#include <set>

#include "server/protocol/envelope.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace roomctl;
using roomctl::fuzz::violated;

namespace {

void check_id(const boost::json::object& body, std::string_view key, const std::string& id,
              std::size_t max_len) {
  if (id.size() > max_len) violated("id within max_id_length", id);
  if (!fuzz::valid_utf8(id)) violated("id is valid UTF-8", id);
  auto it = body.find(key);
  std::string expected;
  if (it != body.end()) {
    const auto& v = it->value();
    if (v.is_string())
      expected = std::string(v.get_string());
    else if (v.is_int64())
      expected = std::to_string(v.get_int64());
    else if (v.is_uint64())
      expected = std::to_string(v.get_uint64());
    else if (!v.is_null())
      violated("ids of a wrong type are refused", key);
  }
  if (id != expected) violated("id equals the body's field", id);
}

protocol::Family family_of(const boost::json::object& body) {
  auto it = body.find("EventFrom");
  if (it == body.end()) return protocol::Family::none;
  if (!it->value().is_string()) violated("a non-string EventFrom is refused", "");
  std::string_view s = it->value().get_string();
  if (s == "AppChatMessaging") return protocol::Family::dm;
  if (s == "App") return protocol::Family::app;
  if (s == "Friend") return protocol::Family::friends;
  if (!s.empty() && s.size() <= 64) return protocol::Family::game;  // the catalogue decides
  violated("an EventFrom that is no family and no game name is refused", s);
}

void check(std::string_view text, std::size_t max_id_length) {
  static const std::set<std::string> codes = {"bad_json", "not_object", "missing_type",
                                              "bad_type", "bad_field",  "unknown_event_from",
                                              "bad_utf8"};
  protocol::EnvelopeLimits limits;
  limits.max_id_length = max_id_length;
  auto r = protocol::parse_envelope(text, limits);
  if (!r.ok) {
    if (!codes.count(r.error_code)) violated("error code is documented", r.error_code);
    if (r.error_message.empty()) violated("error has a message", r.error_code);
    return;
  }
  const auto& e = r.envelope;
  if (e.type.empty() || e.type.size() > 64) violated("type is 1 to 64 bytes", e.type);
  if (!fuzz::valid_utf8(e.type)) violated("type is valid UTF-8", e.type);
  auto t = e.body.find("type");
  if (t == e.body.end() || !t->value().is_string() || t->value().get_string() != e.type)
    violated("type equals the body's", e.type);
  check_id(e.body, "userId", e.user_id, max_id_length);
  check_id(e.body, "roomId", e.room_id, max_id_length);
  if (family_of(e.body) != e.family) violated("family matches EventFrom", e.type);
  (void)protocol::family_name(e.family);

  // Handlers read optional fields; any of them may be of any type.
  for (const auto& kv : e.body) {
    std::string s;
    std::int64_t n = 0;
    if (protocol::get_string(e.body, kv.key(), s) && kv.value().is_string() &&
        s != std::string_view(kv.value().get_string()))
      violated("get_string returns the field", kv.key());
    (void)protocol::get_int(e.body, kv.key(), n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text, 128);  // the default limits.max_id_length
  check(text, 8);    // a tight limit, so that the length check itself is exercised
  return 0;
}
