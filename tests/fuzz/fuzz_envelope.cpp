// Fuzzes protocol::parse_envelope, the first thing every inbound WebSocket text frame meets, with
// arbitrary bytes, and the body accessors (get_string, get_int) handlers use on what it returns.
// Invariants: it never crashes or throws; a failure carries a known error code and a message; a
// success obeys the documented limits: "type" is a string of 1 to 64 bytes equal to the body's,
// userId and roomId are at most max_id_length bytes and equal the body's field (numbers as their
// decimal text), the family matches "EventFrom", and every string is valid UTF-8. The scan that
// skips the body of relayed types gives exactly the answer of the full parse (differential).
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

bool every_type(std::string_view) {
  return true;
}

// The scan without a body must agree with the full parse on everything but the body.
void check_scan(std::string_view text, std::size_t max_id_length) {
  protocol::EnvelopeLimits full{max_id_length, nullptr};
  protocol::EnvelopeLimits scan{max_id_length, &every_type};
  auto a = protocol::parse_envelope(text, full);
  auto b = protocol::parse_envelope(text, scan);
  auto same =
      a.ok == b.ok && a.error_code == b.error_code && a.error_message == b.error_message &&
      a.envelope.type == b.envelope.type && a.envelope.event_from == b.envelope.event_from &&
      a.envelope.user_id == b.envelope.user_id && a.envelope.room_id == b.envelope.room_id &&
      a.envelope.family == b.envelope.family && a.envelope.dialect == b.envelope.dialect;
  if (!same)
    violated("the scan agrees with the full parse",
             a.error_code + "|" + b.error_code + "|" + a.error_message + "|" + b.error_message);
  // A proof of identity is read by the identity step: such a message always gets its body.
  bool proof =
      a.ok && (a.envelope.body.contains("token") || a.envelope.body.contains("resumeSecret") ||
               a.envelope.body.contains("resume"));
  // Only game messages (and the legacy dialect's) skip their body: a DM, app or friend message
  // of a relayed type is read whole by its handler.
  bool game = a.envelope.family == protocol::Family::game ||
              a.envelope.dialect == protocol::Dialect::legacy_app;
  if (b.ok && (proof || !game) && b.envelope.body.empty()) violated("the body is kept", text);
  if (b.ok && !proof && game && !b.envelope.body.empty())
    violated("a relayed type gets no body", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text, 128);  // the default limits.max_id_length
  check(text, 8);    // a tight limit, so that the length check itself is exercised
  check_scan(text, 128);
  check_scan(text, 8);
  return 0;
}
