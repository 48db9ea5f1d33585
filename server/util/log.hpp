// Leveled, structured logging: one line per event as `ts level event key=value ...`.
// Thread-safe; cheap to skip when the level is filtered out. Never used per message on a hot path.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace roomctl::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(Level level);
// Text lines (`ts level event key=value`) by default; JSON objects ({"ts","level","event",
// fields...}, one per line) for log shippers that would otherwise need a parser per format.
void set_json(bool json);
bool parse_level(std::string_view text, Level& out);
bool enabled(Level level);

using Field = std::pair<std::string_view, std::string>;
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void debug(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::debug, e, f);
}
inline void info(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::info, e, f);
}
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::warn, e, f);
}
inline void error(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::error, e, f);
}

}  // namespace roomctl::log
