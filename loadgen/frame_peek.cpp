// One pass over a frame's top level: keys compared in place, nested values skipped.
#include "loadgen/frame_peek.hpp"

namespace roomctl::loadgen {

namespace {
struct Scanner {
  const char* p;
  const char* end;

  void skip_space() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  bool eat(char c) {
    skip_space();
    if (p >= end || *p != c) return false;
    ++p;
    return true;
  }
  // At an opening quote: returns the raw contents and leaves p after the closing quote.
  bool string(std::string_view& out) {
    if (p >= end || *p != '"') return false;
    const char* start = ++p;
    while (p < end && *p != '"') {
      if (*p == '\\') ++p;  // the escaped character cannot close the string
      ++p;
    }
    if (p >= end) return false;
    out = std::string_view(start, static_cast<std::size_t>(p - start));
    ++p;
    return true;
  }
  // Skips one value of any kind; nested containers by counting brackets outside strings.
  bool skip_value() {
    skip_space();
    if (p >= end) return false;
    std::string_view ignored;
    if (*p == '"') return string(ignored);
    if (*p == '{' || *p == '[') {
      int depth = 0;
      while (p < end) {
        char c = *p;
        if (c == '"') {
          if (!string(ignored)) return false;
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') --depth;
        ++p;
        if (depth == 0) return true;
      }
      return false;
    }
    const char* start = p;
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
           *p != '\r' && *p != '\t')
      ++p;
    return p > start;
  }
  bool integer(std::int64_t& out) {
    skip_space();
    bool negative = p < end && *p == '-';
    const char* q = negative ? p + 1 : p;
    std::int64_t v = 0;
    const char* digits = q;
    while (q < end && *q >= '0' && *q <= '9' && q - digits < 18) v = v * 10 + (*q++ - '0');
    if (q == digits ||
        (q < end && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9'))))
      return false;  // not an integer this fast path reads: let the caller skip it
    out = negative ? -v : v;
    p = q;
    return true;
  }
};
}  // namespace

bool peek_frame(std::string_view text, FramePeek& out) {
  Scanner s{text.data(), text.data() + text.size()};
  if (!s.eat('{')) return false;
  s.skip_space();
  if (s.p < s.end && *s.p == '}') return true;
  while (true) {
    s.skip_space();
    std::string_view key;
    if (!s.string(key) || !s.eat(':')) return false;
    s.skip_space();
    bool read = false;
    if (s.p < s.end && *s.p == '"' && (key == "type" || key == "roomId")) {
      std::string_view value;
      if (!s.string(value)) return false;
      if (key == "type") {
        out.type = value;
      } else {
        out.room_id = value;
        out.has_room_id = true;
      }
      read = true;
    } else if (key == "t" || key == "ts") {
      const char* at = s.p;
      read = out.has_t = s.integer(out.t);
      if (!read) s.p = at;
    }
    if (!read && !s.skip_value()) return false;
    if (s.eat(',')) continue;
    if (!s.eat('}')) return false;
    s.skip_space();
    return s.p == s.end;
  }
}

}  // namespace roomctl::loadgen
