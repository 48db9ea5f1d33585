// Settings validation of the skribble game.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "server/games/skribble/skribble_state.hpp"

namespace roomctl::games::skribble {

// Applies the fields present in `in` to `out` after checking their ranges
// (docs/game-rules.md §skribble.settings).
// Returns an error message, or empty on success.
std::string parse_settings(const boost::json::object& in, Settings& out, int current_players,
                           int cap);

}  // namespace roomctl::games::skribble
