// The built-in word lists: the text of data/*.txt, embedded at build time (word_data.cpp.in).
#pragma once

namespace roomctl::games::data {

extern const char* const kSpyWordPairs;         // data/spy_word_pairs.txt: civilian,spy per line
extern const char* const kSkribbleWordsEasy;    // data/skribble_words_easy.txt
extern const char* const kSkribbleWordsMedium;  // data/skribble_words_medium.txt
extern const char* const kSkribbleWordsHard;    // data/skribble_words_hard.txt

}  // namespace roomctl::games::data
