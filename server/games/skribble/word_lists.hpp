// Word lists for skribble, one per difficulty; built in, or loaded from files named in the profile.
#pragma once

#include <string>
#include <vector>

namespace roomctl::games::skribble {

struct WordLists {
  std::vector<std::string> easy, medium, hard;
  const std::vector<std::string>& for_difficulty(const std::string& difficulty) const;
};

WordLists builtin_word_lists();
// One word (or phrase) per line; blank lines and lines starting with # are skipped.
std::vector<std::string> load_words(const std::string& path);

}  // namespace roomctl::games::skribble
