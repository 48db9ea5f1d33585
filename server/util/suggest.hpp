// "Did you mean ...?": the candidate nearest to a misspelt name, for error messages that name
// the fix (unknown threshold metrics, subcommands, keys).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace roomctl::util {

// The candidate with the smallest edit distance to `word`, if that distance is small enough to be
// a typo (at most a third of the word's length, and at least 1); empty otherwise.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean \"X\"?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace roomctl::util
