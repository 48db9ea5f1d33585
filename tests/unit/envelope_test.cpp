// Envelope validation: every malformed shape maps to its own error code.
#include <catch2/catch.hpp>

#include "server/protocol/envelope.hpp"

using namespace roomctl::protocol;

TEST_CASE("envelope: valid messages parse with family, type and ids", "[protocol]") {
  auto r = parse_envelope(
      R"({"EventFrom":"SpyGame","type":"join_room","userId":"u","roomId":"r","name":"N"})", {});
  REQUIRE(r.ok);
  CHECK(r.envelope.family == Family::spy);
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
  CHECK(code(R"({"type":"x","EventFrom":"Other"})") == "unknown_event_from");
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
