// The fast path of a bot's receive loop: the top-level "type", "roomId" and "t"/"ts" of a frame
// read by one scan, without building a DOM. Frames a bot only times (strokes relayed to every
// member of a room: nearly all the traffic of a drawing game) never get parsed any further;
// frames it must understand (game control, scores, words) still get the full parser.
#pragma once

#include <cstdint>
#include <string_view>

namespace roomctl::loadgen {

struct FramePeek {
  std::string_view type;  // raw string contents (server types carry no escapes)
  std::string_view room_id;
  bool has_room_id = false;  // a "roomId" whose value is a string
  bool has_t = false;        // "t" (drawing) or "ts" (direct message) present and an integer
  std::int64_t t = 0;
};

// False when `text` is not a well-formed JSON object at its top level (nested values are only
// skipped, by matching brackets and strings).
bool peek_frame(std::string_view text, FramePeek& out);

}  // namespace roomctl::loadgen
