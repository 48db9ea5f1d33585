// Word pairs for the spy game: civilians get `civilian`, the spy gets `spy` (a related word).
#pragma once

#include <string>
#include <vector>

namespace roomctl::games::spy {

struct WordPair {
  std::string civilian;
  std::string spy;
};

const std::vector<WordPair>& builtin_word_pairs();
// One pair per line, "civilian,spy"; blank lines and lines starting with # are skipped.
// Throws std::runtime_error naming the file and line of a malformed entry.
std::vector<WordPair> load_word_pairs(const std::string& path);

}  // namespace roomctl::games::spy
