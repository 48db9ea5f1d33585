// The built-in word pairs (data/spy_word_pairs.txt, embedded) and the loader for a pairs file.
#include "server/games/spy/word_pairs.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "server/games/data/word_data.hpp"
#include "server/protocol/utf8.hpp"

namespace roomctl::games::spy {

namespace {
std::vector<WordPair> parse_word_pairs(std::istream& in, const std::string& origin) {
  std::vector<WordPair> pairs;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    // Words go out in text frames; refuse a file in another encoding at startup instead.
    if (!protocol::valid_utf8(line))
      throw std::runtime_error(origin + ":" + std::to_string(line_no) + ": not valid UTF-8");
    auto comma = line.find(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == line.size())
      throw std::runtime_error(origin + ":" + std::to_string(line_no) +
                               ": expected \"civilian,spy\"");
    pairs.push_back({line.substr(0, comma), line.substr(comma + 1)});
  }
  if (pairs.empty()) throw std::runtime_error(origin + ": no word pairs");
  return pairs;
}
}  // namespace

const std::vector<WordPair>& builtin_word_pairs() {
  static const std::vector<WordPair> pairs = [] {
    std::istringstream in(data::kSpyWordPairs);
    return parse_word_pairs(in, "data/spy_word_pairs.txt");
  }();
  return pairs;
}

std::vector<WordPair> load_word_pairs(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open word pairs file");
  return parse_word_pairs(in, path);
}

}  // namespace roomctl::games::spy
