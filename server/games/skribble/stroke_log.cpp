// Stroke log with stroke groups for undo.
#include "server/games/skribble/stroke_log.hpp"

#include <boost/json/value_to.hpp>
#include <charconv>
#include <stdexcept>

namespace roomctl::games::skribble {

namespace json = boost::json;

StrokeLog::Result StrokeLog::apply(std::string_view type, std::string_view raw, Millis now) {
  if (type == "SKRIBBLE_CLEAR") {
    clear();
    return Result::changed;
  }
  if (type == "SKRIBBLE_UNDO") {
    if (entries_.empty()) return Result::changed;
    std::uint32_t last = entries_.back().group;
    while (!entries_.empty() && entries_.back().group == last) pop_back();
    open_ = false;
    return Result::changed;
  }
  if (type == "SKRIBBLE_REDO") return Result::changed;  // relayed; the log keeps no redo stack
  if (entries_.size() >= max_events_ || bytes_ + raw.size() > max_bytes_) return Result::full;

  bool starts = type == "START_SKRIBBLE_DRAWING";
  bool continues =
      !starts && !entries_.empty() && (open_ || now - entries_.back().at < kGroupGapMs);
  if (!continues) ++group_;
  if (starts) open_ = true;
  if (type == "STOP_SKRIBBLE_DRAWING") open_ = false;
  entries_.push_back({std::string(raw), now, group_, next_seq_++});
  bytes_ += raw.size();
  return Result::logged;
}

void StrokeLog::pop_back() {
  bytes_ -= entries_.back().raw.size();
  entries_.pop_back();
  if (entries_.size() < stored_) {  // the store holds this entry: its row must go
    stored_ = entries_.size();
    truncated_ = true;
  }
}

void StrokeLog::clear() {
  entries_.clear();
  bytes_ = 0;
  open_ = false;
  if (stored_ > 0) truncated_ = true;
  stored_ = 0;
}

// A row is "<at> <group> <raw>": the raw message last, byte for byte, no escaping.
std::string StrokeLog::row_data(const Entry& e) {
  std::string out = std::to_string(e.at);
  out += ' ';
  out += std::to_string(e.group);
  out += ' ';
  out += e.raw;
  return out;
}

StreamChanges StrokeLog::take_changes(bool all) {
  if (all) {
    stored_ = 0;
    truncated_ = true;
  }
  StreamChanges c;
  c.truncate = truncated_;
  c.keep_through = stored_ > 0 ? entries_[stored_ - 1].seq : 0;
  c.append.reserve(entries_.size() - stored_);
  for (std::size_t i = stored_; i < entries_.size(); ++i)
    c.append.push_back({entries_[i].seq, row_data(entries_[i])});
  stored_ = entries_.size();
  truncated_ = false;
  return c;
}

namespace {
template <typename T>
T number_field(std::string_view& rest) {
  auto space = rest.find(' ');
  T v{};
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + std::min(space, rest.size()), v);
  if (ec != std::errc() || space == std::string_view::npos || end != rest.data() + space)
    throw std::runtime_error("malformed stroke row");
  rest.remove_prefix(space + 1);
  return v;
}
}  // namespace

void StrokeLog::from_rows(const std::vector<StreamRow>& rows) {
  clear();
  entries_.reserve(rows.size());
  for (const auto& row : rows) {
    // Seqs grow from 1 by one per entry: one past 2^53 is damage (and would overflow).
    if (row.seq <= 0 || row.seq > (std::int64_t{1} << 53) ||
        (!entries_.empty() && row.seq <= entries_.back().seq))
      throw std::runtime_error("stroke rows out of order");
    std::string_view rest = row.data;
    auto at = number_field<Millis>(rest);
    auto group = number_field<std::uint32_t>(rest);
    entries_.push_back({std::string(rest), at, group, row.seq});
    bytes_ += rest.size();
    group_ = std::max(group_, group);
  }
  next_seq_ = entries_.empty() ? 1 : entries_.back().seq + 1;
  stored_ = entries_.size();
  truncated_ = false;
}

std::string StrokeLog::json_array() const {
  std::string out;
  out.reserve(bytes_ + entries_.size() + 2);
  out += '[';
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (i) out += ',';
    out += entries_[i].raw;
  }
  out += ']';
  return out;
}

json::array StrokeLog::to_json() const {
  json::array a;
  for (const auto& e : entries_) a.push_back(json::array{json::value(e.raw), e.at, e.group});
  return a;
}

void StrokeLog::from_json(const json::array& a) {
  clear();
  for (const auto& v : a) {
    const auto& e = v.as_array();
    entries_.push_back({json::value_to<std::string>(e.at(0)), json::value_to<Millis>(e.at(1)),
                        json::value_to<std::uint32_t>(e.at(2)), next_seq_++});
    bytes_ += entries_.back().raw.size();
    group_ = std::max(group_, entries_.back().group);
  }
  // Not in the stroke stream yet (a snapshot from before it): the next changes write it all.
  stored_ = 0;
  truncated_ = true;
}

}  // namespace roomctl::games::skribble
