// The UTF-8 utility (validity, counting, cutting at code-point boundaries, splitting, repair)
// and the lenient parse of stored snapshots that repairs text written before these rules.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "server/protocol/stored_json.hpp"
#include "server/protocol/utf8.hpp"

using namespace roomctl::protocol;

namespace {
std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}
}  // namespace

TEST_CASE("utf8: validity follows the strict definition", "[protocol][utf8]") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("caf\xC3\xA9"));               // é
  CHECK(valid_utf8("\xE6\x97\xA5\xE6\x9C\xAC"));  // 日本
  CHECK(valid_utf8("\xF0\x9F\x98\x80"));          // U+1F600
  CHECK(valid_utf8("\xF4\x8F\xBF\xBF"));          // U+10FFFF, the last code point
  CHECK(valid_utf8(std::string_view("a\0b", 3)));

  CHECK_FALSE(valid_utf8("caf\xC3"));           // cut inside a letter
  CHECK_FALSE(valid_utf8("\xE2\x82"));          // cut inside a 3-byte letter
  CHECK_FALSE(valid_utf8("\x80"));              // stray continuation byte
  CHECK_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  CHECK_FALSE(valid_utf8("\xF0\x80\x80\xAF"));  // overlong, 4 bytes
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));      // U+D800, a surrogate
  CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(valid_utf8("\xF5\x80\x80\x80"));  // never a lead byte
  CHECK_FALSE(valid_utf8("\xC3\x28"));          // lead byte without its continuation
}

TEST_CASE("utf8: code points count letters, invalid bytes one each", "[protocol][utf8]") {
  CHECK(code_points("") == 0);
  CHECK(code_points("apple") == 5);
  CHECK(code_points("caf\xC3\xA9") == 4);
  CHECK(code_points("\xC3\xB1"
                    "and\xC3\xBA") == 5);                           // ñandú
  CHECK(code_points("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E") == 3);  // 日本語
  CHECK(code_points("\xF0\x9F\x98\x80!") == 2);
  CHECK(code_points("a\xC3") == 2);
  CHECK(code_points("\xE2\x82") == 2);
}

TEST_CASE("utf8: truncation cuts at a code-point boundary at or below the byte limit",
          "[protocol][utf8]") {
  const std::string e = "\xC3\xA9";              // 2 bytes
  const std::string han = "\xE6\xBC\xA2";        // 3 bytes
  const std::string smile = "\xF0\x9F\x98\x80";  // 4 bytes
  CHECK(truncate_code_points("short", 32) == "short");
  CHECK(truncate_code_points("exactly", 7) == "exactly");
  CHECK(truncate_code_points("abcdef", 3) == "abc");
  CHECK(truncate_code_points("abc", 0).empty());

  CHECK(truncate_code_points(repeat(e, 20), 32) == repeat(e, 16));
  CHECK(truncate_code_points("x" + repeat(e, 20), 32) == "x" + repeat(e, 15));
  CHECK(truncate_code_points(repeat(han, 14), 32) == repeat(han, 10));
  CHECK(truncate_code_points(repeat(smile, 10), 35) == repeat(smile, 8));
  CHECK(truncate_code_points(smile, 3).empty());
  for (std::size_t max = 0; max <= 45; ++max) {
    auto s = "a" + repeat(e, 3) + repeat(han, 3) + repeat(smile, 3);
    auto cut = truncate_code_points(s, max);
    CHECK(cut.size() <= max);
    CHECK(cut.size() + 3 >= std::min(max, s.size()));  // gives up at most a partial letter
    CHECK(valid_utf8(cut));
  }
}

TEST_CASE("utf8: split gives whole letters, repair replaces invalid bytes", "[protocol][utf8]") {
  auto parts = split_code_points(
      "\xC3\xB1"
      "a-\xE6\x97\xA5\xF0\x9F\x98\x80");
  REQUIRE(parts.size() == 5);
  CHECK(parts[0] == "\xC3\xB1");
  CHECK(parts[1] == "a");
  CHECK(parts[2] == "-");
  CHECK(parts[3] == "\xE6\x97\xA5");
  CHECK(parts[4] == "\xF0\x9F\x98\x80");
  CHECK(split_code_points("a\xC3").size() == 2);
  CHECK(split_code_points("").empty());

  CHECK(sanitize_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(sanitize_utf8("caf\xC3") == "caf\xEF\xBF\xBD");
  CHECK(sanitize_utf8("\xED\xA0\x80!") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
  CHECK(valid_utf8(sanitize_utf8("\xFF\xC0\xAF\xE2\x82")));
}

TEST_CASE("stored json: a snapshot with a name cut mid-letter still parses, repaired",
          "[protocol][utf8][snapshot]") {
  // What the server used to write: the name cut inside "é", raw bytes in the JSON text.
  std::string old = "{\"players\":[{\"name\":\"Ren\xC3\",\"id\":\"u\"}],\"k\xC3\":1}";
  CHECK_THROWS(boost::json::parse(old));
  auto v = parse_stored_json(old);
  CHECK(v.at("players").at(0).at("name").as_string() == "Ren\xEF\xBF\xBD");
  CHECK(v.at("players").at(0).at("id").as_string() == "u");
  CHECK(v.as_object().contains("k\xEF\xBF\xBD"));
  CHECK(valid_utf8(boost::json::serialize(v)));

  std::string good = "{\"name\":\"caf\xC3\xA9\",\"n\":[1,2.5,null,true]}";
  CHECK(parse_stored_json(good) == boost::json::parse(good));
  CHECK_THROWS(parse_stored_json("{\"a\":"));
}
