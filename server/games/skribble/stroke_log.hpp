// The current turn's drawing, kept so that a player who joins or reconnects mid-turn sees the
// canvas. Entries are the drawer's messages exactly as received (replayed byte for byte).
// CLEAR empties the log; UNDO drops the last stroke group: a START..STOP run, or events less
// than 150 ms apart. Bounded in events and bytes; past the bound events are relayed, not logged.
// Rules: docs/game-rules.md §skribble.strokes.
//
// Persistence: the log is not part of the room's snapshot. Each entry has a sequence number and
// is stored as one row of the room's stroke stream; take_changes() reports what changed since the
// last call (entries appended, entries dropped by UNDO or CLEAR) as StreamChanges, so that a
// stroke costs the store one row, never a rewrite of the log. No I/O here.
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/util/clock.hpp"
#include "server/util/stream_changes.hpp"

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
  // What changed since the last call, for the room's stored stroke stream; `all`: the whole log,
  // replacing whatever the store holds (the store lost it). A new log (no call yet) starts by
  // truncating the stream: a stored stream of an earlier room of the same id is not this one's.
  StreamChanges take_changes(bool all = false);
  // Rebuilds the log from its stored rows (seq order), as take_changes() wrote them; the store
  // then holds the whole log. Throws std::runtime_error on a row it did not write.
  void from_rows(const std::vector<StreamRow>& rows);
  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  bool empty() const { return entries_.empty(); }
  // The log as a JSON array text: "[raw1,raw2,...]" (entries are valid JSON objects).
  std::string json_array() const;
  // The log as snapshots before the stroke stream embedded it: [[raw, at, group], ...]. A log
  // read from_json() is not in the stream yet: the next take_changes() writes all of it.
  boost::json::array to_json() const;
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
    std::int64_t seq;
  };
  void pop_back();
  static std::string row_data(const Entry& e);

  std::vector<Entry> entries_;
  std::size_t bytes_ = 0;
  std::size_t max_events_, max_bytes_;
  std::uint32_t group_ = 0;
  bool open_ = false;  // inside a START..STOP stroke
  std::int64_t next_seq_ = 1;
  // The stored stream as of the last take_changes(): the first `stored_` entries, after which it
  // may hold rows that were dropped here since (`truncated_`: they must go first).
  std::size_t stored_ = 0;
  bool truncated_ = true;
};

}  // namespace roomctl::games::skribble
