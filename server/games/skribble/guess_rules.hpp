// Pure helpers of the skribble rules: text normalisation, the close-guess test, the guesser
// score table and the hint schedule (docs/game-rules.md §skribble.guess, §skribble.hints,
// §skribble.scoring).
#pragma once

#include <string>
#include <string_view>

namespace roomctl::games::skribble {

// Words are UTF-8 and every rule below counts code points ("letters"), never bytes: a hint
// reveals a whole letter, a word's length is its letter count, an edit changes one letter.

// Trim, collapse inner ASCII whitespace to one space, fold ASCII case (other letters unchanged).
std::string normalise(std::string_view text);
// Damerau-Levenshtein (optimal string alignment) distance over code points is exactly 1: one
// insert, delete, substitution or adjacent swap of a letter.
bool is_close_guess(std::string_view guess, std::string_view word);
// 200 x f, f from elapsed/drawtime: <0.2 -> 1.0, <0.4 -> 0.8, <0.6 -> 0.6, <0.8 -> 0.4, else 0.2.
int guess_points(int elapsed_s, int drawtime_s);
// Whether a code point of a word is a letter that masks hide and hints reveal (not ' ' or '-').
bool is_letter(std::string_view code_point);
// Letters that a hint may reveal (code points other than spaces and '-').
int letter_count(std::string_view word);
// How many hints a word gets: min(requested, letters - 1), never negative.
int hint_count(int requested, std::string_view word);
// Second of the turn at which hint k (1-based) of n is revealed: floor(k * drawtime / (n + 1)).
int hint_second(int k, int n, int drawtime_s);

}  // namespace roomctl::games::skribble
