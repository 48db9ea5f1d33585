// Skribble guess rules.
#include "server/games/skribble/guess_rules.hpp"

#include <algorithm>
#include <vector>

#include "server/protocol/utf8.hpp"

namespace roomctl::games::skribble {

std::string normalise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  // ASCII only and locale-free on purpose: <cctype> under a non-"C" locale may treat a byte of a
  // multi-byte letter as a space or fold it, which would break the letter in two.
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

bool is_close_guess(std::string_view guess, std::string_view word) {
  if (guess == word) return false;
  // One edit is one letter: "cafe" is one substitution from "café", not two.
  auto a = protocol::split_code_points(guess);
  auto b = protocol::split_code_points(word);
  std::size_t n = a.size(), m = b.size();
  if (n > m + 1 || m > n + 1) return false;
  // Optimal string alignment distance, bounded to small words in practice.
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m] == 1;
}

int guess_points(int elapsed_s, int drawtime_s) {
  double e = drawtime_s > 0 ? static_cast<double>(elapsed_s) / drawtime_s : 1.0;
  if (e < 0.2) return 200;
  if (e < 0.4) return 160;
  if (e < 0.6) return 120;
  if (e < 0.8) return 80;
  return 40;
}

bool is_letter(std::string_view code_point) {
  return code_point != " " && code_point != "-";
}

int letter_count(std::string_view word) {
  auto letters = protocol::split_code_points(word);
  return static_cast<int>(std::count_if(letters.begin(), letters.end(), is_letter));
}

int hint_count(int requested, std::string_view word) {
  return std::max(0, std::min(requested, letter_count(word) - 1));
}

int hint_second(int k, int n, int drawtime_s) {
  return k * drawtime_s / (n + 1);
}

}  // namespace roomctl::games::skribble
