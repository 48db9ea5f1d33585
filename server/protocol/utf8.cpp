// UTF-8 validation, counting, cutting and splitting by code point (see utf8.hpp).
#include "server/protocol/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace roomctl::protocol {
namespace {

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the well-formed sequence starting at text[i], or 0 if there is none. The second
// byte's range excludes overlong forms (E0, F0), surrogates (ED) and values above U+10FFFF (F4).
std::size_t sequence_length(std::string_view text, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  std::size_t left = text.size() - i;
  unsigned char c = at(i);
  if (c < 0x80) return 1;
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;  // C0, C1, F5..FF and stray continuation bytes never start a sequence
  }
  if (left < len) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (!continuation(at(i + k))) return 0;
  return len;
}

// Bytes of the unit at text[i]: a whole sequence, or one byte if it is invalid.
std::size_t unit_length(std::string_view text, std::size_t i) {
  std::size_t n = sequence_length(text, i);
  return n == 0 ? 1 : n;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    // Every inbound message is checked: ASCII (nearly all of it) is skipped 8 bytes at a time.
    std::uint64_t word;
    if (i + 8 <= text.size() &&
        (std::memcpy(&word, text.data() + i, 8), word & 0x8080808080808080ull) == 0) {
      i += 8;
      continue;
    }
    std::size_t n = sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); i += unit_length(text, i)) ++count;
  return count;
}

std::string_view truncate_code_points(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = 0;
  for (std::size_t n; end < text.size() && end + (n = unit_length(text, end)) <= max_bytes;)
    end += n;
  return text.substr(0, end);
}

std::vector<std::string_view> split_code_points(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0, n; i < text.size(); i += n) {
    n = unit_length(text, i);
    out.push_back(text.substr(i, n));
  }
  return out;
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = sequence_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace roomctl::protocol
