// Message helpers of the skribble game: frame building and settings validation.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "server/games/skribble/skribble_state.hpp"
#include "server/protocol/frame.hpp"

namespace roomctl::games::skribble {

Frame frame(const boost::json::object& o);
Frame error_frame(const char* code, const std::string& message);
// Applies the fields present in `in` to `out` after checking their ranges
// (docs/game-rules.md §skribble.settings).
// Returns an error message, or empty on success.
std::string parse_settings(const boost::json::object& in, Settings& out, int current_players,
                           int cap);

}  // namespace roomctl::games::skribble
