// Shared game vocabulary.
#include "server/games/game.hpp"

namespace roomctl::games {

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
