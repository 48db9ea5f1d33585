// Skribble guess rules.
#include "server/games/skribble/guess_rules.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace roomctl::games::skribble {

std::string normalise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

bool is_close_guess(std::string_view a, std::string_view b) {
  if (a == b) return false;
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

int letter_count(std::string_view word) {
  return static_cast<int>(
      std::count_if(word.begin(), word.end(), [](char c) { return c != ' ' && c != '-'; }));
}

int hint_count(int requested, std::string_view word) {
  return std::max(0, std::min(requested, letter_count(word) - 1));
}

int hint_second(int k, int n, int drawtime_s) {
  return k * drawtime_s / (n + 1);
}

}  // namespace roomctl::games::skribble
