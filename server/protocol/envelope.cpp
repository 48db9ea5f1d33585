// Envelope validation. ORIG crashes on invalid JSON and trusts every field; roomctl checks the
// envelope's shape once here so that handlers deal with typed, bounded values only.
#include "server/protocol/envelope.hpp"

#include <cmath>
#include <cstdint>

#include <boost/json/parse.hpp>

#include "server/protocol/utf8.hpp"

namespace roomctl::protocol {
namespace {

// Any other EventFrom of a sane length is a game's (the catalogue says which exist).
bool family_from(std::string_view s, Family& f) {
  if (s == "AppChatMessaging")
    f = Family::dm;
  else if (s == "App")
    f = Family::app;
  else if (s == "Friend")
    f = Family::friends;
  else if (!s.empty() && s.size() <= 64)
    f = Family::game;
  else
    return false;
  return true;
}

ParseResult fail(std::string code, std::string message) {
  ParseResult r;
  r.error_code = std::move(code);
  r.error_message = std::move(message);
  return r;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A \uXXXX escape of a surrogate (U+D800..DFFF) that is not part of a high-low pair. Such an
// escape denotes no character at all; the JSON parser refuses it, but some of its errors are a
// plain "syntax error", so this names the cause. Backslashes only occur inside JSON strings, so
// no string tracking is needed; an escaped backslash is skipped as a whole.
bool has_lone_surrogate_escape(std::string_view text) {
  auto escape_at = [&](std::size_t i) -> int {  // value of "\uXXXX" at i, or -1
    if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
    int v = 0;
    for (std::size_t k = i + 2; k < i + 6; ++k) {
      int d = hex_digit(text[k]);
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') continue;
    int v = escape_at(i);
    if (v < 0) {
      ++i;  // any other escape, including "\\", is two characters
      continue;
    }
    if (v >= 0xDC00 && v <= 0xDFFF) return true;  // a low half without a high one before it
    if (v >= 0xD800 && v <= 0xDBFF) {
      int low = escape_at(i + 6);
      if (low < 0xDC00 || low > 0xDFFF) return true;
      i += 6;  // the pair's low half
    }
    i += 5;
  }
  return false;
}

// userId and roomId: ORIG clients send strings; numbers are accepted and normalised to text.
bool id_field(const boost::json::object& o, std::string_view key, std::string& out,
              std::size_t max_len, ParseResult& err) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return true;
  const auto& v = it->value();
  if (v.is_string())
    out.assign(v.get_string().data(), v.get_string().size());
  else if (v.is_int64())
    out = std::to_string(v.get_int64());
  else if (v.is_uint64())
    out = std::to_string(v.get_uint64());
  else {
    err = fail("bad_field", std::string(key) + " must be a string");
    return false;
  }
  if (out.size() > max_len) {
    err = fail("bad_field",
               std::string(key) + " is longer than " + std::to_string(max_len) + " bytes");
    return false;
  }
  return true;
}
}  // namespace

ParseResult parse_envelope(std::string_view text, const EnvelopeLimits& limits) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) {
    // The WebSocket layer already closes on a text frame that is not UTF-8 (1007); this names
    // the cause for any other way in, and for escapes that decode to no character. Strings that
    // pass the parser are valid UTF-8, so handlers never see anything else.
    if (!valid_utf8(text)) return fail("bad_utf8", "message is not valid UTF-8");
    if (has_lone_surrogate_escape(text))
      return fail("bad_utf8", "message has a \\u escape of an unpaired surrogate");
    return fail("bad_json", "message is not valid JSON: " + ec.message());
  }
  if (!v.is_object()) return fail("not_object", "message must be a JSON object");

  ParseResult r;
  r.envelope.body = std::move(v.get_object());
  auto& o = r.envelope.body;

  auto type = o.find("type");
  if (type == o.end()) return fail("missing_type", "message has no \"type\"");
  if (!type->value().is_string()) return fail("bad_type", "\"type\" must be a string");
  r.envelope.type = std::string(type->value().get_string());
  if (r.envelope.type.empty() || r.envelope.type.size() > 64)
    return fail("bad_type", "\"type\" must be 1 to 64 characters");

  auto from = o.find("EventFrom");
  if (from == o.end()) r.envelope.dialect = Dialect::legacy_app;
  if (from != o.end()) {
    if (!from->value().is_string()) return fail("bad_field", "\"EventFrom\" must be a string");
    r.envelope.event_from = std::string(from->value().get_string());
    if (!family_from(r.envelope.event_from, r.envelope.family))
      return fail("unknown_event_from",
                  "unknown EventFrom \"" +
                      std::string(truncate_code_points(from->value().get_string(), 32)) + "\"");
  }

  ParseResult err;
  if (!id_field(o, "userId", r.envelope.user_id, limits.max_id_length, err)) return err;
  if (!id_field(o, "roomId", r.envelope.room_id, limits.max_id_length, err)) return err;
  r.ok = true;
  return r;
}

std::string_view family_name(Family f) {
  switch (f) {
    case Family::game:
      return "game";
    case Family::dm:
      return "dm";
    case Family::app:
      return "app";
    case Family::friends:
      return "friend";
    case Family::none:
      return "none";
  }
  return "none";
}

}  // namespace roomctl::protocol
