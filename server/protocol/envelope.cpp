// Envelope validation. ORIG crashes on invalid JSON and trusts every field; roomctl checks the
// envelope's shape once here so that handlers deal with typed, bounded values only.
#include "server/protocol/envelope.hpp"

#include <cmath>
#include <cstdint>

#include <boost/json/basic_parser_impl.hpp>
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

// The envelope's fields as found at the top level of the message, by either reader.
struct Field {
  enum class Kind { absent, string, int64, uint64, null, other } kind = Kind::absent;
  std::string text;  // the string, or a number's decimal text
};
struct Fields {
  Field type, event_from, user_id, room_id;
  bool proofs = false;  // a token, resumeSecret or resume field (the identity step reads them)
};

Field field_of(const boost::json::object& o, std::string_view key) {
  Field f;
  auto it = o.find(key);
  if (it == o.end()) return f;
  const auto& v = it->value();
  if (v.is_string()) {
    f.kind = Field::Kind::string;
    f.text.assign(v.get_string().data(), v.get_string().size());
  } else if (v.is_int64()) {
    f.kind = Field::Kind::int64;
    f.text = std::to_string(v.get_int64());
  } else if (v.is_uint64()) {
    f.kind = Field::Kind::uint64;
    f.text = std::to_string(v.get_uint64());
  } else {
    f.kind = v.is_null() ? Field::Kind::null : Field::Kind::other;
  }
  return f;
}

// userId and roomId: ORIG clients send strings; numbers are accepted and normalised to text.
bool id_field(Field& f, std::string_view key, std::string& out, std::size_t max_len,
              ParseResult& err) {
  using K = Field::Kind;
  if (f.kind == K::absent || f.kind == K::null) return true;
  if (f.kind == K::other) {
    err = fail("bad_field", std::string(key) + " must be a string");
    return false;
  }
  out = std::move(f.text);
  if (out.size() > max_len) {
    err = fail("bad_field",
               std::string(key) + " is longer than " + std::to_string(max_len) + " bytes");
    return false;
  }
  return true;
}

// The checks of the envelope's fields, whichever reader found them.
ParseResult from_fields(Fields& f, const EnvelopeLimits& limits) {
  using K = Field::Kind;
  ParseResult r;
  if (f.type.kind == K::absent) return fail("missing_type", "message has no \"type\"");
  if (f.type.kind != K::string) return fail("bad_type", "\"type\" must be a string");
  r.envelope.type = std::move(f.type.text);
  if (r.envelope.type.empty() || r.envelope.type.size() > 64)
    return fail("bad_type", "\"type\" must be 1 to 64 characters");

  if (f.event_from.kind == K::absent) r.envelope.dialect = Dialect::legacy_app;
  if (f.event_from.kind != K::absent) {
    if (f.event_from.kind != K::string) return fail("bad_field", "\"EventFrom\" must be a string");
    r.envelope.event_from = std::move(f.event_from.text);
    if (!family_from(r.envelope.event_from, r.envelope.family))
      return fail("unknown_event_from",
                  "unknown EventFrom \"" +
                      std::string(truncate_code_points(r.envelope.event_from, 32)) + "\"");
  }

  ParseResult err;
  if (!id_field(f.user_id, "userId", r.envelope.user_id, limits.max_id_length, err)) return err;
  if (!id_field(f.room_id, "roomId", r.envelope.room_id, limits.max_id_length, err)) return err;
  r.ok = true;
  return r;
}

// A SAX handler for Boost.JSON's basic_parser that validates the whole message and keeps only
// the envelope's fields at the top level of the root object: no allocation for the rest.
class FieldScanner {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  Fields fields;
  bool root_is_object = false;

  using ec = boost::system::error_code;
  using sv = boost::json::string_view;
  bool on_document_begin(ec&) { return true; }
  bool on_document_end(ec&) { return true; }
  bool on_object_begin(ec&) { return begin_container(true); }
  bool on_object_end(std::size_t, ec&) { return end_container(); }
  bool on_array_begin(ec&) { return begin_container(false); }
  bool on_array_end(std::size_t, ec&) { return end_container(); }
  bool on_key_part(sv s, std::size_t, ec&) { return key_part(s); }
  bool on_key(sv s, std::size_t, ec&) {
    key_part(s);
    if (depth_ == 1) pick(key_);
    key_.clear();
    key_too_long_ = false;
    return true;
  }
  bool on_string_part(sv s, std::size_t, ec&) {
    if (top_value()) target_->text.append(s.data(), s.size());
    return true;
  }
  bool on_string(sv s, std::size_t, ec&) {
    if (top_value()) {
      target_->text.append(s.data(), s.size());
      set(Field::Kind::string);
    }
    return true;
  }
  bool on_number_part(sv, ec&) { return true; }
  bool on_int64(std::int64_t i, sv, ec&) { return number(Field::Kind::int64, std::to_string(i)); }
  bool on_uint64(std::uint64_t u, sv, ec&) {
    return number(Field::Kind::uint64, std::to_string(u));
  }
  bool on_double(double, sv, ec&) { return scalar(Field::Kind::other); }
  bool on_bool(bool, ec&) { return scalar(Field::Kind::other); }
  bool on_null(ec&) { return scalar(Field::Kind::null); }
  bool on_comment_part(sv, ec&) { return true; }
  bool on_comment(sv, ec&) { return true; }

 private:
  bool begin_container(bool object) {
    if (depth_ == 0) root_is_object = object;
    if (top_value()) set(Field::Kind::other);  // a field's value is an object or an array
    ++depth_;
    return true;
  }
  bool end_container() {
    --depth_;
    return true;
  }
  bool key_part(sv s) {
    // The keys that matter are short: a long one is none of them, and is not kept.
    if (depth_ != 1 || key_too_long_) return true;
    if (key_.size() + s.size() > 16) {
      key_too_long_ = true;
      key_.clear();
    } else {
      key_.append(s.data(), s.size());
    }
    return true;
  }
  void pick(const std::string& key) {
    target_ = nullptr;
    if (key_too_long_) return;
    if (key == "type")
      target_ = &fields.type;
    else if (key == "EventFrom")
      target_ = &fields.event_from;
    else if (key == "userId")
      target_ = &fields.user_id;
    else if (key == "roomId")
      target_ = &fields.room_id;
    else if (key == "token" || key == "resumeSecret" || key == "resume")
      fields.proofs = true;
    if (target_) *target_ = Field{};  // a repeated key: the last one counts, as in the DOM
  }
  // True while the value being read is that of a wanted top-level field.
  bool top_value() const { return depth_ == 1 && target_ != nullptr; }
  void set(Field::Kind kind) {
    target_->kind = kind;
    target_ = nullptr;
  }
  bool number(Field::Kind kind, std::string text) {
    if (top_value()) {
      target_->text = std::move(text);
      set(kind);
    }
    return true;
  }
  bool scalar(Field::Kind kind) {
    if (top_value()) set(kind);
    return true;
  }

  int depth_ = 0;
  std::string key_;
  bool key_too_long_ = false;
  Field* target_ = nullptr;
};

ParseResult syntax_error(std::string_view text, const boost::system::error_code& ec) {
  // The WebSocket layer already closes on a text frame that is not UTF-8 (1007); this names
  // the cause for any other way in, and for escapes that decode to no character. Strings that
  // pass the parser are valid UTF-8, so handlers never see anything else.
  if (!valid_utf8(text)) return fail("bad_utf8", "message is not valid UTF-8");
  if (has_lone_surrogate_escape(text))
    return fail("bad_utf8", "message has a \\u escape of an unpaired surrogate");
  return fail("bad_json", "message is not valid JSON: " + ec.message());
}

// The message parsed into a JSON object (for the handlers that read its body).
ParseResult parse_with_body(std::string_view text, const EnvelopeLimits& limits) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return syntax_error(text, ec);
  if (!v.is_object()) return fail("not_object", "message must be a JSON object");
  auto& o = v.get_object();
  Fields f{field_of(o, "type"), field_of(o, "EventFrom"), field_of(o, "userId"),
           field_of(o, "roomId")};
  auto r = from_fields(f, limits);
  if (r.ok) r.envelope.body = std::move(o);
  return r;
}

}  // namespace

ParseResult parse_envelope(std::string_view text, const EnvelopeLimits& limits) {
  if (!limits.body_unused) return parse_with_body(text, limits);
  boost::json::basic_parser<FieldScanner> scan{boost::json::parse_options{}};
  boost::system::error_code ec;
  std::size_t n = scan.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = boost::json::error::extra_data;
  if (ec) return syntax_error(text, ec);
  auto& h = scan.handler();
  if (!h.root_is_object) return fail("not_object", "message must be a JSON object");
  // Only a game's messages (an EventFrom naming no app family, or none: the legacy dialect) are
  // relayed; a DM or friend message of the same type is read whole by its handler.
  Family family = Family::none;
  bool game_message = h.fields.event_from.kind == Field::Kind::absent ||
                      (h.fields.event_from.kind == Field::Kind::string &&
                       family_from(h.fields.event_from.text, family) && family == Family::game);
  bool relayed = game_message && h.fields.type.kind == Field::Kind::string && !h.fields.proofs &&
                 limits.body_unused(h.fields.type.text);
  if (!relayed) return parse_with_body(text, limits);
  return from_fields(h.fields, limits);
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
