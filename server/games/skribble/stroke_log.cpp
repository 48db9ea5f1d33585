// Stroke log with stroke groups for undo.
#include "server/games/skribble/stroke_log.hpp"

#include <boost/json/value_to.hpp>

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
    while (!entries_.empty() && entries_.back().group == last) {
      bytes_ -= entries_.back().raw.size();
      entries_.pop_back();
    }
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
  entries_.push_back({std::string(raw), now, group_});
  bytes_ += raw.size();
  return Result::logged;
}

void StrokeLog::clear() {
  entries_.clear();
  bytes_ = 0;
  open_ = false;
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

void StrokeLog::append_json(std::string& out) const {
  static const char* hex = "0123456789abcdef";
  out.reserve(out.size() + bytes_ + bytes_ / 8 + entries_.size() * 24 + 2);
  out += '[';
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    if (i) out += ',';
    out += "[\"";
    for (unsigned char c : e.raw) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\b') {
        out += "\\b";
      } else if (c == '\f') {
        out += "\\f";
      } else if (c < 0x20) {
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    out += "\",";
    out += std::to_string(e.at);
    out += ',';
    out += std::to_string(e.group);
    out += ']';
  }
  out += ']';
}

void StrokeLog::from_json(const json::array& a) {
  clear();
  for (const auto& v : a) {
    const auto& e = v.as_array();
    entries_.push_back({json::value_to<std::string>(e.at(0)), json::value_to<Millis>(e.at(1)),
                        json::value_to<std::uint32_t>(e.at(2))});
    bytes_ += entries_.back().raw.size();
    group_ = std::max(group_, entries_.back().group);
  }
}

}  // namespace roomctl::games::skribble
