// SpyGame, part two: what players and operators see (room_state per viewer, player lists,
// the reconnect snapshot, the operator's inspect view).
#include <boost/json/serialize.hpp>

#include "server/games/spy/spy_game.hpp"
#include "server/protocol/fields.hpp"
#include "server/protocol/replies.hpp"

namespace roomctl::games::spy {

using protocol::error_frame;
using protocol::frame;
using protocol::trimmed;

namespace json = boost::json;

void SpyGame::reconnect(const std::string& user, Effects& fx) {
  Player* p = find(user);
  if (!p) return;
  p->connected = true;
  fx.changed = true;
  // FIX: a reconnecting player gets everything needed to redraw its screen.
  send_state(user, fx);
  fx.to_one(user, frame({{"type", "game_mode"}, {"gameMode", s_.rules.mode}}));
  fx.to_one(user, nullptr, legacy_player_list());  // the app redraws its seats from it
  if (s_.phase == Phase::lobby || s_.phase == Phase::countdown) return;
  send_words(user, fx);
  if (s_.phase == Phase::speaking && s_.speaker_pos < static_cast<int>(s_.speakers.size()))
    fx.to_one(user, frame({{"type", "speak_statement"},
                           {"currentSpeaker", s_.speakers[s_.speaker_pos]}}));
  if (s_.phase == Phase::voting && is_alive(user))
    fx.to_one(user, frame({{"type", "start_voting"}}));
}

// FIX: ORIG sends its whole internal state (spy id and both words) to anyone; each viewer here
// sees the same shape with only what it may know.
void SpyGame::send_state(const std::string& user, Effects& fx) const {
  const Player* viewer = find(user);
  bool running = s_.phase != Phase::lobby;
  bool is_spy = running && user == s_.spy;
  bool is_civilian = running && !is_spy && viewer && !viewer->spectator;
  json::object ready;
  json::array spectators, chats;
  for (const auto& p : s_.players) {
    ready[p.id] = p.ready;
    if (p.spectator) spectators.push_back(json::value(p.id));
  }
  for (const auto& [u, text] : s_.chats) chats.push_back(json::value(text));
  json::object voting;
  for (const auto& [target, voters] : s_.votes)
    voting[target] = json::array(voters.begin(), voters.end());
  json::value speaker = nullptr;
  if (s_.phase == Phase::speaking && s_.speaker_pos < static_cast<int>(s_.speakers.size()))
    speaker = json::value(s_.speakers[s_.speaker_pos]);
  fx.to_one(
      user,
      frame({{"type", "room_state"},
             {"roomState",
              {{"chats", std::move(chats)},
               {"readyStatus", std::move(ready)},
               {"gameStarted", running},
               {"spy", {{"word", is_spy ? s_.spy_word : ""}, {"player", is_spy ? s_.spy : ""}}},
               {"voting", std::move(voting)},
               {"civilianWord", is_civilian ? s_.civilian_word : ""},
               {"alivePlayers", json::array(s_.alive.begin(), s_.alive.end())},
               {"roundNo", s_.round_no},
               {"phase", phase_name(s_.phase)},
               {"host", s_.host},
               {"currentSpeaker", speaker},
               {"spectators", std::move(spectators)},
               {"phaseDeadline", s_.deadline}}}}));
}

// GET_JOIN_EVENTS' list (ORIG: {userId,name} entries); legacy app members get their strings.
void SpyGame::broadcast_player_list(Effects& fx) const {
  json::array list;
  for (const auto& p : s_.players) list.push_back(json::object{{"userId", p.id}, {"name", p.name}});
  fx.to_all(frame({{"type", "playerList"}, {"playerList", std::move(list)}}), legacy_player_list());
}

// The legacy app learns who is in the room only from playerList frames, as ORIG c3f330b sent
// them on every join; EventFrom clients ask with GET_JOIN_EVENTS (ORIG sends them nothing
// unasked, and its clients cannot read a string list).
void SpyGame::tell_legacy_members(Effects& fx) const {
  fx.to_all(nullptr, legacy_player_list());
}

// The app renders every entry as a userId string (an object entry crashes its room screen).
Frame SpyGame::legacy_player_list() const {
  json::array list;
  for (const auto& p : s_.players) list.push_back(json::value(p.id));
  return frame({{"type", "playerList"}, {"playerList", std::move(list)}});
}

boost::json::object SpyGame::inspect(Millis now, bool reveal) const {
  namespace json = boost::json;
  json::array members;
  for (const auto& p : s_.players)
    members.push_back(json::object{{"userId", p.id},
                                   {"name", p.name},
                                   {"connected", p.connected},
                                   {"ready", p.ready},
                                   {"spectator", p.spectator},
                                   {"alive", is_alive(p.id)},
                                   {"host", p.id == s_.host}});
  std::size_t votes = 0;
  for (const auto& [t, voters] : s_.votes) votes += voters.size();
  json::object o{{"phase", phase_name(s_.phase)},
                 {"round", s_.round_no},
                 {"host", s_.host},
                 {"members", std::move(members)},
                 {"remainingMs", s_.deadline ? std::max<Millis>(0, s_.deadline - now) : 0},
                 {"votesCast", votes},
                 {"chats", s_.chats.size()},
                 {"gamesPlayed", s_.games_played},
                 {"settings",
                  {{"mode", s_.rules.mode},
                   {"maxPlayers", s_.rules.max_players},
                   {"maxRounds", s_.rules.max_rounds},
                   {"timeScale", s_.rules.time_scale}}}};
  if (s_.phase == Phase::speaking && s_.speaker_pos < static_cast<int>(s_.speakers.size()))
    o["currentSpeaker"] = s_.speakers[static_cast<std::size_t>(s_.speaker_pos)];
  if (reveal)
    o["secrets"] = {{"spy", s_.spy}, {"civilianWord", s_.civilian_word}, {"spyWord", s_.spy_word}};
  return o;
}

}  // namespace roomctl::games::spy
