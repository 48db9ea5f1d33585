// Built-in skribble word lists by difficulty (data/skribble_words_*.txt, embedded) and the file
// loader.
#include "server/games/skribble/word_lists.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "server/games/data/word_data.hpp"
#include "server/protocol/utf8.hpp"

namespace roomctl::games::skribble {

namespace {
std::vector<std::string> parse_words(std::istream& in, const std::string& origin) {
  std::vector<std::string> words;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    // Words go out in text frames; refuse a file in another encoding at startup instead.
    if (!protocol::valid_utf8(line))
      throw std::runtime_error(origin + ":" + std::to_string(line_no) + ": not valid UTF-8");
    words.push_back(line);
  }
  if (words.empty()) throw std::runtime_error(origin + ": no words");
  return words;
}

std::vector<std::string> embedded(const char* text, const char* origin) {
  std::istringstream in(text);
  return parse_words(in, origin);
}
}  // namespace

WordLists builtin_word_lists() {
  WordLists lists;
  lists.easy = embedded(data::kSkribbleWordsEasy, "data/skribble_words_easy.txt");
  lists.medium = embedded(data::kSkribbleWordsMedium, "data/skribble_words_medium.txt");
  lists.hard = embedded(data::kSkribbleWordsHard, "data/skribble_words_hard.txt");
  return lists;
}

std::vector<std::string> load_words(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open word list");
  return parse_words(in, path);
}

const std::vector<std::string>& WordLists::for_difficulty(const std::string& d) const {
  if (d == "hard") return hard;
  if (d == "medium") return medium;
  return easy;
}

}  // namespace roomctl::games::skribble
