// Shared game vocabulary.
#include "server/games/game.hpp"

#include <boost/json/serialize.hpp>

namespace roomctl::games {

std::string Game::snapshot_text() const {
  return boost::json::serialize(snapshot());
}

std::string_view status_name(UserStatus s) {
  switch (s) {
    case UserStatus::idle:
      return "Idle";
    case UserStatus::in_room:
      return "InRoom";
    case UserStatus::in_game:
      return "InGame";
  }
  return "Idle";
}

}  // namespace roomctl::games
