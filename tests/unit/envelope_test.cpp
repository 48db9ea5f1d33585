// Envelope validation: every malformed shape maps to its own error code.
#include <catch2/catch.hpp>

#include "server/protocol/envelope.hpp"
#include "server/protocol/utf8.hpp"

using namespace roomctl::protocol;

TEST_CASE("envelope: valid messages parse with family, type and ids", "[protocol]") {
  auto r = parse_envelope(
      R"({"EventFrom":"SpyGame","type":"join_room","userId":"u","roomId":"r","name":"N"})", {});
  REQUIRE(r.ok);
  CHECK(r.envelope.family == Family::game);
  CHECK(r.envelope.event_from == "SpyGame");
  CHECK(r.envelope.type == "join_room");
  CHECK(r.envelope.user_id == "u");
  CHECK(r.envelope.room_id == "r");
  auto n = parse_envelope(R"({"EventFrom":"App","type":"app_opened","userId":42})", {});
  REQUIRE(n.ok);
  CHECK(n.envelope.user_id == "42");
}

TEST_CASE("envelope: error codes", "[protocol]") {
  auto code = [](const char* text) { return parse_envelope(text, {}).error_code; };
  CHECK(code("") == "bad_json");
  CHECK(code("{\"a\":") == "bad_json");
  CHECK(code("null") == "not_object");
  CHECK(code("\"str\"") == "not_object");
  CHECK(code("{}") == "missing_type");
  CHECK(code(R"({"type":null})") == "bad_type");
  CHECK(code(R"({"type":""})") == "bad_type");
  CHECK(code(R"({"type":"x","EventFrom":1})") == "bad_field");
  // Any other EventFrom names a game (the dispatcher refuses one no catalogue entry has).
  CHECK(code(R"({"type":"x","EventFrom":""})") == "unknown_event_from");
  std::string too_long = R"({"type":"x","EventFrom":")" + std::string(65, 'G') + "\"}";
  CHECK(code(too_long.c_str()) == "unknown_event_from");
  CHECK(code(R"({"type":"x","userId":[1]})") == "bad_field");
  CHECK(code(R"({"type":"x","roomId":true})") == "bad_field");
  EnvelopeLimits tight{4};
  CHECK(parse_envelope(R"({"type":"x","userId":"toolong"})", tight).error_code == "bad_field");
}

TEST_CASE("field accessors distinguish absent from wrong type", "[protocol]") {
  auto r = parse_envelope(R"({"type":"x","s":"v","i":3,"f":2.5,"n":null})", {});
  REQUIRE(r.ok);
  std::string s = "keep";
  CHECK(get_string(r.envelope.body, "missing", s));
  CHECK(s == "keep");
  CHECK(get_string(r.envelope.body, "s", s));
  CHECK(s == "v");
  CHECK_FALSE(get_string(r.envelope.body, "i", s));
  std::int64_t i = 0;
  CHECK(get_int(r.envelope.body, "i", i));
  CHECK(i == 3);
  CHECK_FALSE(get_int(r.envelope.body, "f", i));
  CHECK_FALSE(get_int(r.envelope.body, "s", i));
}

TEST_CASE("envelope: invalid UTF-8 and unpaired surrogate escapes are bad_utf8",
          "[protocol][utf8]") {
  auto code = [](std::string_view text) { return parse_envelope(text, {}).error_code; };
  CHECK(code("{\"type\":\"x\",\"name\":\"Ren\xC3\"}") == "bad_utf8");
  CHECK(code("{\"type\":\"x\",\"name\":\"\xED\xA0\x80\"}") == "bad_utf8");  // encoded surrogate
  CHECK(code(R"({"type":"x","name":"\ud800"})") == "bad_utf8");
  CHECK(code(R"({"type":"x","name":"\udc00x"})") == "bad_utf8");
  CHECK(code(R"({"type":"x","name":"\uD800\u0041"})") == "bad_utf8");
  CHECK(code(R"({"type":"x","name":"\ud800)") == "bad_utf8");  // truncated as well
  // A pair is one character; an escaped backslash before "ud800" is no escape at all.
  auto pair = parse_envelope(R"({"type":"x","name":"\ud83d\ude00"})", {});
  REQUIRE(pair.ok);
  CHECK(pair.envelope.body.at("name").as_string() == "\xF0\x9F\x98\x80");
  CHECK(parse_envelope(R"({"type":"x","name":"\\ud800"})", {}).ok);
  CHECK(code(R"({"type":"x","name":"\\ud800",})") == "bad_json");
  CHECK(code("{\"type\":\"x\",\"name\":\"caf\xC3\xA9\",}") == "bad_json");
}

TEST_CASE("envelope: the unknown EventFrom echo is cut at a letter boundary", "[protocol][utf8]") {
  std::string from = "x";
  for (int i = 0; i < 40; ++i)
    from += "\xC3\xA9";  // too long for a game's name; the 32-byte
                         // cut of the echo falls inside a letter
  auto r = parse_envelope("{\"type\":\"x\",\"EventFrom\":\"" + from + "\"}", {});
  CHECK(r.error_code == "unknown_event_from");
  CHECK(valid_utf8(r.error_message));
  CHECK(r.error_message.find(from.substr(0, 31)) != std::string::npos);
}

namespace {
bool strokes_only(std::string_view type) {
  return type == "SKRIBBLE_STROKE";
}
}  // namespace

TEST_CASE("envelope: relayed types are scanned, not built, and read only top-level fields",
          "[protocol]") {
  EnvelopeLimits limits{128, &strokes_only};
  // Nested "type"/"userId" keys are data, not the envelope; a repeated key counts once, the last.
  auto r = parse_envelope(
      R"({"EventFrom":"SkribbleGame","type":"SKRIBBLE_STROKE","data":{"type":"x","userId":"evil"},)"
      R"("points":[[1,2],[3,4]],"userId":"first","roomId":42,"userId":"alice"})",
      limits);
  REQUIRE(r.ok);
  CHECK(r.envelope.type == "SKRIBBLE_STROKE");
  CHECK(r.envelope.user_id == "alice");
  CHECK(r.envelope.room_id == "42");  // a number as its decimal text, as in the full parse
  CHECK(r.envelope.family == Family::game);
  CHECK(r.envelope.body.empty());  // nobody reads a stroke's body: it is relayed as received

  // Other types, and a relayed type carrying a proof of identity, get their body.
  auto chat = parse_envelope(
      R"({"EventFrom":"SkribbleGame","type":"SKRIBBLE_MESSAGE","message":"hi"})", limits);
  REQUIRE(chat.ok);
  CHECK(chat.envelope.body.contains("message"));
  auto proof = parse_envelope(
      R"({"EventFrom":"SkribbleGame","type":"SKRIBBLE_STROKE","userId":"a","token":"t"})", limits);
  REQUIRE(proof.ok);
  CHECK(proof.envelope.body.contains("token"));

  // A DM of a relayed type is read whole by its handler.
  auto dm = parse_envelope(
      R"({"EventFrom":"AppChatMessaging","type":"SKRIBBLE_STROKE","receiverUserId":"b"})", limits);
  REQUIRE(dm.ok);
  CHECK(dm.envelope.body.contains("receiverUserId"));

  // Errors are those of the full parse.
  auto bad = parse_envelope(R"({"type":"SKRIBBLE_STROKE","userId":{"x":1}})", limits);
  CHECK(bad.error_code == "bad_field");
  auto extra = parse_envelope(R"({"type":"SKRIBBLE_STROKE"} {})", limits);
  CHECK(extra.error_code == "bad_json");
  auto full = parse_envelope(R"({"type":"SKRIBBLE_STROKE"} {})", {128, nullptr});
  CHECK(full.error_message == extra.error_message);
  CHECK(parse_envelope("[1]", limits).error_code == "not_object");
  CHECK(parse_envelope(R"({"type":7})", limits).error_code == "bad_type");
}
