// Skribble pure helpers: normalisation, close guesses, the scoring table, the hint schedule and
// the stroke log.
#include <catch2/catch.hpp>

#include "server/games/skribble/guess_rules.hpp"
#include "server/games/skribble/stroke_log.hpp"
#include "server/games/skribble/word_lists.hpp"
#include "server/games/spy/word_pairs.hpp"

#include <boost/json/serialize.hpp>

using namespace roomctl::games::skribble;

TEST_CASE("skribble: normalise trims, collapses spaces and folds case", "[skribble]") {
  CHECK(normalise("  Ice   CREAM ") == "ice cream");
  CHECK(normalise("\tA\nB") == "a b");
  CHECK(normalise("   ").empty());
}

TEST_CASE("skribble: close guess is Damerau distance exactly 1", "[skribble]") {
  CHECK(is_close_guess("appl", "apple"));    // delete
  CHECK(is_close_guess("applle", "apple"));  // insert
  CHECK(is_close_guess("apble", "apple"));   // substitute
  CHECK(is_close_guess("aplpe", "apple"));   // adjacent swap
  CHECK_FALSE(is_close_guess("apple", "apple"));
  CHECK_FALSE(is_close_guess("ap", "apple"));
  CHECK_FALSE(is_close_guess("elppa", "apple"));
}

TEST_CASE("skribble: guesser points by fifth of the draw time", "[skribble]") {
  CHECK(guess_points(0, 80) == 200);
  CHECK(guess_points(15, 80) == 200);
  CHECK(guess_points(16, 80) == 160);
  CHECK(guess_points(31, 80) == 160);
  CHECK(guess_points(32, 80) == 120);
  CHECK(guess_points(48, 80) == 80);
  CHECK(guess_points(64, 80) == 40);
  CHECK(guess_points(80, 80) == 40);
}

TEST_CASE("skribble: hints never reveal every letter and follow the schedule", "[skribble]") {
  CHECK(hint_count(1, "cat") == 1);
  CHECK(hint_count(5, "cat") == 2);
  CHECK(hint_count(3, "a") == 0);
  CHECK(hint_count(5, "ice cream") == 5);
  CHECK(letter_count("ice-cream x") == 9);
  CHECK(hint_second(1, 1, 80) == 40);  // ORIG: one hint at drawtime/2
  CHECK(hint_second(1, 3, 80) == 20);
  CHECK(hint_second(3, 3, 80) == 60);
}

TEST_CASE("stroke log: groups, undo, clear, bounds and raw replay", "[skribble]") {
  StrokeLog log(5, 1000);
  CHECK(log.apply("START_SKRIBBLE_DRAWING", R"({"a":1})", 0) == StrokeLog::Result::logged);
  log.apply("SKRIBBLE_DRAW", R"({"a":2})", 500);  // inside START..STOP: same group
  log.apply("STOP_SKRIBBLE_DRAWING", R"({"a":3})", 600);
  log.apply("SKRIBBLE_POINT", R"({"b":1})", 2000);  // a new group (time gap)
  log.apply("SKRIBBLE_POINT", R"({"b":2})", 2100);  // within 150 ms: same group
  CHECK(log.size() == 5);
  CHECK(log.apply("SKRIBBLE_POINT", R"({"c":1})", 9000) == StrokeLog::Result::full);
  log.apply("SKRIBBLE_UNDO", "{}", 9100);
  CHECK(log.size() == 3);
  CHECK(log.json_array() == R"([{"a":1},{"a":2},{"a":3}])");
  log.apply("SKRIBBLE_UNDO", "{}", 9200);
  CHECK(log.empty());
  log.apply("SKRIBBLE_POINT", R"({"d":1})", 9300);
  log.apply("SKRIBBLE_CLEAR", "{}", 9400);
  CHECK(log.empty());
  StrokeLog bytes(100, 20);
  CHECK(bytes.apply("SKRIBBLE_POINT", std::string(15, 'x'), 0) == StrokeLog::Result::logged);
  CHECK(bytes.apply("SKRIBBLE_POINT", std::string(15, 'x'), 1) == StrokeLog::Result::full);
}

TEST_CASE("skribble: rules count letters (code points), not bytes", "[skribble][utf8]") {
  CHECK(letter_count("caf\xC3\xA9") == 4);
  CHECK(letter_count("cr\xC3\xA8me br\xC3\xBBl\xC3\xA9"
                     "e") == 11);
  CHECK(hint_count(5, "\xE6\x97\xA5\xE6\x9C\xAC") == 1);  // 日本: two letters, one hint
  CHECK(is_close_guess("cafe", "caf\xC3\xA9"));           // substitute one letter
  CHECK(
      is_close_guess("\xC3\xB1"
                     "andu",
                     "\xC3\xB1"
                     "and\xC3\xBA"));
  CHECK(is_close_guess("\xE6\x97\xA5\xE6\x9C\xAC", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"));
  CHECK(is_close_guess("\xE6\x9C\xAC\xE6\x97\xA5", "\xE6\x97\xA5\xE6\x9C\xAC"));  // swap
  CHECK_FALSE(is_close_guess("caf", "caf\xC3\xA9x"));
  // Case folds for ASCII only; other letters pass through byte for byte.
  CHECK(normalise("  CAF\xC3\x89   Cr\xC3\xA8me ") == "caf\xC3\x89 cr\xC3\xa8me");
}

TEST_CASE("the built-in word lists are the files in data/, embedded", "[words]") {
  namespace spy = roomctl::games::spy;
  namespace sk = roomctl::games::skribble;
  const std::string dir = std::string(ROOMCTL_SOURCE_DIR) + "/data/";
  auto pairs = spy::load_word_pairs(dir + "spy_word_pairs.txt");
  const auto& builtin = spy::builtin_word_pairs();
  REQUIRE(pairs.size() == builtin.size());
  CHECK(builtin.size() == 159);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    CHECK(pairs[i].civilian == builtin[i].civilian);
    CHECK(pairs[i].spy == builtin[i].spy);
  }
  auto lists = sk::builtin_word_lists();
  CHECK(lists.easy == sk::load_words(dir + "skribble_words_easy.txt"));
  CHECK(lists.medium == sk::load_words(dir + "skribble_words_medium.txt"));
  CHECK(lists.hard == sk::load_words(dir + "skribble_words_hard.txt"));
  CHECK(lists.easy.size() == 197);
}
