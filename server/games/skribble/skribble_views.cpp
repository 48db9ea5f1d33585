// SkribbleGame, part three: what players and operators see. The word mask, the settings and
// PLAYERS frames, the ROOM_STATE a (re)joiner or reconnecting player gets, the operator's
// inspect view and the stored snapshot text.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "server/games/game_timer.hpp"
#include "server/games/skribble/guess_rules.hpp"
#include "server/games/skribble/skribble_game.hpp"
#include "server/games/skribble/skribble_messages.hpp"
#include "server/protocol/fields.hpp"
#include "server/protocol/replies.hpp"
#include "server/protocol/utf8.hpp"

namespace roomctl::games::skribble {

using protocol::error_frame;
using protocol::frame;
using protocol::text_field;

namespace json = boost::json;

// One character per code point of the word: '_' for a hidden letter, the letter itself once
// revealed; spaces and '-' always show.
std::string SkribbleGame::mask() const {
  std::string m;
  auto letters = protocol::split_code_points(s_.word);
  for (std::size_t i = 0; i < letters.size(); ++i) {
    bool shown = !is_letter(letters[i]) || std::find(s_.revealed.begin(), s_.revealed.end(),
                                                     static_cast<int>(i)) != s_.revealed.end();
    if (shown)
      m.append(letters[i]);
    else
      m += '_';
  }
  return m;
}

json::object SkribbleGame::setting_json() const {
  const auto& st = s_.settings;
  return {{"players", st.players},
          {"drawtime", st.drawtime},
          {"rounds", st.rounds},
          {"difficulty", st.difficulty},
          {"wordChoices", st.word_choices},
          {"hints", st.hints},
          {"customWords", json::value_from(st.custom_words)},
          {"customOnly", st.custom_only}};
}

void SkribbleGame::broadcast_players(Effects& fx) const {
  json::array list;
  for (const auto& p : s_.players)
    list.push_back(json::object{{"userId", p.id},
                                {"name", p.name},
                                {"avatar", p.avatar},
                                {"score", p.score},
                                {"guessed", p.guessed},
                                {"connected", p.connected},
                                {"host", p.id == s_.host}});
  fx.to_all(frame({{"type", "PLAYERS"}, {"players", std::move(list)}}));
}

// FIX: ORIG keeps no drawing; a (re)joiner gets phase, timer, mask, scores and the stroke log.
void SkribbleGame::send_snapshot(const std::string& user, Effects& fx) const {
  int idx = index_of(user);
  bool knows = is_drawer(user) || (idx >= 0 && s_.players[static_cast<std::size_t>(idx)].guessed);
  const Player* d = drawer();
  json::array players;
  for (const auto& p : s_.players)
    players.push_back(json::object{{"userId", p.id},
                                   {"name", p.name},
                                   {"score", p.score},
                                   {"guessed", p.guessed},
                                   {"connected", p.connected}});
  json::object snap{
      {"type", "ROOM_STATE"},
      {"roomId", s_.room_id},
      {"phase", phase_name(s_.phase)},
      {"round", s_.round},
      {"rounds", s_.settings.rounds},
      {"drawer", d ? json::value(d->id) : nullptr},
      {"host", s_.host},
      {"timeRemaining", s_.phase == Phase::drawing ? s_.settings.drawtime - s_.elapsed : 0},
      {"mask", s_.phase == Phase::drawing || s_.phase == Phase::intro ? mask() : ""},
      {"word", knows && s_.phase == Phase::drawing ? s_.word : ""},
      {"players", std::move(players)},
      {"gameSetting", setting_json()},
      {"strokes", nullptr}};
  // The stroke log is spliced in as raw text: each entry is replayed exactly as the drawer sent it.
  std::string text = json::serialize(snap);
  const std::string tail = "\"strokes\":null}";
  text.replace(text.size() - tail.size(), tail.size(),
               "\"strokes\":" + s_.strokes.json_array() + "}");
  fx.to_one(user, make_frame(std::move(text)));
  if (is_drawer(user) && (s_.phase == Phase::drawing || (s_.phase == Phase::intro && s_.step == 2)))
    fx.to_one(user, frame({{"type", "WORD"},
                           {"word", s_.word},
                           {"currentRoundNo", s_.round},
                           {"currentUser", user}}));
  if (is_drawer(user) && s_.phase == Phase::choosing)
    fx.to_one(user, frame({{"type", "CHOOSE_WORD"},
                           {"words", json::value_from(s_.choices)},
                           {"timeout", kChooseMs / 1000}}));
}

json::object SkribbleGame::inspect(Millis now, bool reveal) const {
  json::array members;
  for (const auto& p : s_.players)
    members.push_back(json::object{{"userId", p.id},
                                   {"name", p.name},
                                   {"connected", p.connected},
                                   {"score", p.score},
                                   {"guessed", p.guessed},
                                   {"host", p.id == s_.host},
                                   {"drawer", is_drawer(p.id)}});
  const Player* d = drawer();
  json::object o{{"phase", phase_name(s_.phase)},
                 {"round", std::min(s_.round, s_.settings.rounds)},
                 {"rounds", s_.settings.rounds},
                 {"host", s_.host},
                 {"drawer", d ? json::value(d->id) : nullptr},
                 {"members", std::move(members)},
                 {"remainingMs", s_.phase == Phase::drawing
                                     ? scaled_ms((s_.settings.drawtime - s_.elapsed) * kSecondMs,
                                                 s_.rules.time_scale)
                                     : (s_.deadline ? std::max<Millis>(0, s_.deadline - now) : 0)},
                 {"mask", s_.phase == Phase::drawing ? mask() : ""},
                 {"strokeLogEvents", s_.strokes.size()},
                 {"strokeLogBytes", s_.strokes.bytes()},
                 {"strokeLogFull", s_.stroke_log_full},
                 {"settings", setting_json()}};
  if (reveal) o["secrets"] = {{"word", s_.word}, {"choices", json::value_from(s_.choices)}};
  return o;
}

}  // namespace roomctl::games::skribble
