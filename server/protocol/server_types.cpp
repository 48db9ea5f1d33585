// The outbound catalogue for the forged-DM check. A type added to a game's or the app's
// outbound frames belongs here too (docs/protocol.md lists them).
#include "server/protocol/server_types.hpp"

#include <algorithm>
#include <array>

namespace roomctl::protocol {
namespace {
// Sorted, for a binary search.
constexpr std::array<std::string_view, 67> kTypes = {
    "CHOOSE_WORD",
    "CHOOSING",
    "CLOSE_GUESS",
    "GAME_OVER",
    "MESSAGE",
    "PLAYERS",
    "PLAYER_LEFT",
    "PLAYER_ROLE",
    "ROOM_STATE",
    "ROUND_END",
    "ROUND_NUMBER",
    "SECOND_TIMER",
    "SKRIBBLE_CLEAR",
    "SKRIBBLE_COLOR_CHANGE",
    "SKRIBBLE_DRAW",
    "SKRIBBLE_GAME_SETTINGS",
    "SKRIBBLE_MESSAGE",
    "SKRIBBLE_POINT",
    "SKRIBBLE_REDO",
    "SKRIBBLE_ROUND_END",
    "SKRIBBLE_STROKE",
    "SKRIBBLE_TIMER",
    "SKRIBBLE_TOOL_CHANGE",
    "SKRIBBLE_UNDO",
    "SKRIBBLE_WIDTH_CHANGE",
    "START_GAME",
    "START_SKRIBBLE_DRAWING",
    "STOP_SKRIBBLE_DRAWING",
    "TRANSITION_COUNTDOWN",
    "VOTE_KICK",
    "WORD",
    "WORD_LENGTH",
    "WORD_MATCHED",
    "alivePlayers",
    "civilianWord",
    "countdown",
    "create_room_response",
    "end_voting",
    "error",
    "friend_accept",
    "friend_not_found",
    "friend_request",
    "gameStarted",
    "game_ended",
    "game_mode",
    "invite_friend",
    "join_room_response",
    "ping",
    "playerList",
    "player_left",
    "player_not_ready",
    "player_ready",
    "queued_message",
    "quick_join_response",
    "resume_secret",
    "room_closed",
    "room_state",
    "round_intro",
    "round_started",
    "speak_statement",
    "spy",
    "spy_room_not_found",
    "start_voting",
    "user_offline",
    "user_status_change",
    "users_offline",
    "users_online",
};
}  // namespace

bool is_server_type(std::string_view type) {
  return std::binary_search(kTypes.begin(), kTypes.end(), type);
}

}  // namespace roomctl::protocol
