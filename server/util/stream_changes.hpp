// An append-only stream of rows kept beside a room's snapshot (the skribble stroke log) and the
// changes that bring a stored copy of it up to date, so that a store writes what changed instead
// of the whole stream. Rows carry sequence numbers that only grow within a stream: "keep the
// rows up to seq K" names a prefix whatever was appended after it.
// The pure games produce StreamChanges, the runtime composes them while a write is pending, the
// stores apply them (docs/architecture.md §persistence).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace roomctl {

struct StreamRow {
  std::int64_t seq = 0;
  std::string data;
  bool operator==(const StreamRow&) const = default;
};

struct StreamChanges {
  // First drop the stored rows with seq > keep_through (truncate with keep_through 0: all of
  // them), then append `append` (seqs increasing, each above every row kept).
  bool truncate = false;
  std::int64_t keep_through = 0;
  std::vector<StreamRow> append;

  bool empty() const { return !truncate && append.empty(); }

  // These changes followed by `next`, as one set of changes: applying the result equals
  // applying this and then `next`.
  void then(StreamChanges next) {
    if (next.truncate) {
      keep_through = truncate ? std::min(keep_through, next.keep_through) : next.keep_through;
      truncate = true;
      // Rows appended here past next's prefix are dropped again (seqs increase: a suffix).
      auto cut = std::find_if(append.begin(), append.end(),
                              [&](const StreamRow& r) { return r.seq > next.keep_through; });
      append.erase(cut, append.end());
    }
    if (append.empty())
      append = std::move(next.append);
    else
      append.insert(append.end(), std::make_move_iterator(next.append.begin()),
                    std::make_move_iterator(next.append.end()));
  }

  // What a store keeps: the rows with seq <= keep_rows_through(), then `append` follows. Rows at
  // or past the first appended seq go too, so that applying the same changes twice (a write
  // retried after a store half applied it) leaves the same stream. INT64_MAX: keep all.
  std::int64_t keep_rows_through() const {
    std::int64_t keep = truncate ? keep_through : std::numeric_limits<std::int64_t>::max();
    if (!append.empty()) keep = std::min(keep, append.front().seq - 1);
    return keep;
  }

  // Applies the changes to a stream held in memory (the memory store; tests).
  void apply_to(std::vector<StreamRow>& rows) const {
    auto keep = keep_rows_through();
    while (!rows.empty() && rows.back().seq > keep) rows.pop_back();
    rows.insert(rows.end(), append.begin(), append.end());
  }
};

}  // namespace roomctl
