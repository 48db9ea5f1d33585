// SpyGame, part three: the lobby (creating, joining, readiness) and the room's chat. Joins answer
// each dialect as its clients expect (docs/protocol.md §dialects).
#include <boost/json/serialize.hpp>

#include "server/games/spy/spy_game.hpp"
#include "server/protocol/fields.hpp"
#include "server/protocol/replies.hpp"
#include "server/protocol/utf8.hpp"

namespace roomctl::games::spy {

using protocol::error_frame;
using protocol::frame;
using protocol::trimmed;

namespace json = boost::json;

void SpyGame::create(const Event& e, Effects& fx) {
  std::string name;
  if (auto it = e.body.find("name"); it != e.body.end() && it->value().is_string())
    name = std::string(it->value().get_string());
  // The limit is in bytes; the cut moves back to a code-point boundary so the name stays valid
  // UTF-8 in every frame and snapshot that carries it.
  name = std::string(protocol::truncate_code_points(
      trimmed(name), static_cast<std::size_t>(s_.rules.max_name_length)));
  s_.host = e.user;
  s_.players.push_back({e.user, name.empty() ? e.user : name});
  rebuild_members();
  fx.joined.push_back(e.user);
  fx.statuses.emplace_back(e.user, UserStatus::in_room);
  fx.changed = true;
  fx.to_one(e.user, frame({{"type", "create_room_response"},
                           {"status", true},
                           {"message", "You have created the room successfully"},
                           {"roomId", s_.room_id},
                           {"gameMode", s_.rules.mode}}));
}

void SpyGame::join(const Event& e, Effects& fx) {
  std::string name;
  if (!protocol::get_string(e.body, "name", name)) {
    fx.to_one(e.user, error_frame("bad_field", "name must be a string"));
    return;
  }
  name = trimmed(name);
  if (static_cast<int>(name.size()) > s_.rules.max_name_length) {
    fx.to_one(e.user,
              error_frame("bad_field", "name is longer than " +
                                           std::to_string(s_.rules.max_name_length) + " bytes"));
    return;
  }
  json::object ok{{"type", "join_room_response"},
                  {"status", true},
                  {"message", "You have joined the room successfully"},
                  {"roomId", s_.room_id}};
  if (find(e.user)) {  // a member joining again gets the room's state back
    fx.to_one(e.user, frame(ok), nullptr);
    send_state(e.user, fx);
    fx.to_one(e.user, frame({{"type", "game_mode"}, {"gameMode", s_.rules.mode}}), nullptr);
    tell_legacy_members(fx);  // ORIG c3f330b: the app's room screen joins again to get these
    return;
  }
  if (static_cast<int>(s_.players.size()) >= s_.rules.max_players) {
    fx.to_one(e.user,
              frame({{"type", "join_room_response"},
                     {"status", false},
                     {"message", "Room is full"},
                     {"roomId", s_.room_id}}),
              frame({{"type", "room_full"}, {"roomId", s_.room_id}}));
    return;
  }
  bool running = s_.phase != Phase::lobby;
  // FIX: ORIG lets a mid-game joiner in as an undefined participant; here they spectate.
  s_.players.push_back({e.user, name.empty() ? e.user : name, false, true, running});
  rebuild_members();
  fx.joined.push_back(e.user);
  fx.statuses.emplace_back(e.user, UserStatus::in_room);
  fx.changed = true;
  // The app enters its room screen only on room_seat_available.
  fx.to_one(e.user, frame(ok),
            frame({{"type", "room_seat_available"}, {"userId", e.user}, {"roomId", s_.room_id}}));
  send_state(e.user, fx);
  tell_legacy_members(fx);
}

void SpyGame::join_events(const std::string& user, Effects& fx) {
  fx.to_one(user, frame({{"type", "join_room_response"},
                         {"status", true},
                         {"message", "You have joined the room successfully"},
                         {"roomId", s_.room_id}}));
  send_state(user, fx);
  fx.to_one(user, frame({{"type", "game_mode"}, {"gameMode", s_.rules.mode}}));
  broadcast_player_list(fx);
}

void SpyGame::set_ready(const std::string& user, bool ready, Millis now, Effects& fx) {
  if (s_.phase != Phase::lobby) return;  // readiness only matters in the lobby
  find(user)->ready = ready;
  fx.changed = true;
  // FIX: ORIG tells only the sender about notready; everyone sees it here.
  fx.to_all(frame({{"type", ready ? "player_ready" : "player_not_ready"}, {"playerId", user}}));
  if (ready) maybe_start(now, fx);
}

void SpyGame::chat(const std::string& user, const json::object& body, Effects& fx) {
  auto it = body.find("chat");
  if (it == body.end() || !it->value().is_string()) {
    fx.to_one(user, error_frame("bad_field", "chat must be a string"));
    return;
  }
  std::string text(it->value().get_string());
  if (trimmed(text).empty()) return;
  if (static_cast<int>(text.size()) > s_.rules.max_chat_length) {
    fx.to_one(user, error_frame("chat_too_long", "chat is longer than " +
                                                     std::to_string(s_.rules.max_chat_length) +
                                                     " bytes"));
    return;
  }
  s_.chats.emplace_back(user, text);
  if (s_.chats.size() > kMaxChats) s_.chats.erase(s_.chats.begin());
  fx.changed = true;
  // Everyone, the sender too: the app shows its own lines only from this echo.
  fx.to_all(frame({{"type", "chat"}, {"chat", text}, {"userId", user}}));
}

}  // namespace roomctl::games::spy
