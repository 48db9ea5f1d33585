// The current turn's drawing, kept so that a player who joins or reconnects mid-turn sees the
// canvas. Entries are the drawer's messages exactly as received (replayed byte for byte).
// CLEAR empties the log; UNDO drops the last stroke group: a START..STOP run, or events less
// than 150 ms apart. Bounded in events and bytes; past the bound events are relayed, not logged.
// Rules: docs/game-rules.md §skribble.strokes.
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/util/clock.hpp"

namespace roomctl::games::skribble {

class StrokeLog {
 public:
  static constexpr Millis kGroupGapMs = 150;
  enum class Result { logged, changed, full };

  StrokeLog(std::size_t max_events = 20000, std::size_t max_bytes = 2 << 20)
      : max_events_(max_events), max_bytes_(max_bytes) {}

  // `type` is the message type; `raw` the message text.
  Result apply(std::string_view type, std::string_view raw, Millis now);
  void clear();
  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  bool empty() const { return entries_.empty(); }
  // The log as a JSON array text: "[raw1,raw2,...]" (entries are valid JSON objects).
  std::string json_array() const;
  boost::json::array to_json() const;
  // Appends the same JSON as serialize(to_json()) to `out`, escaping by hand: a snapshot of a
  // large log costs one pass over its bytes, not a JSON value per stroke.
  void append_json(std::string& out) const;
  void from_json(const boost::json::array& a);
  void set_limits(std::size_t max_events, std::size_t max_bytes) {
    max_events_ = max_events;
    max_bytes_ = max_bytes;
  }

 private:
  struct Entry {
    std::string raw;
    Millis at;
    std::uint32_t group;
  };
  std::vector<Entry> entries_;
  std::size_t bytes_ = 0;
  std::size_t max_events_, max_bytes_;
  std::uint32_t group_ = 0;
  bool open_ = false;  // inside a START..STOP stroke
};

}  // namespace roomctl::games::skribble
