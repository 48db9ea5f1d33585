// Snapshot (de)serialisation of the skribble state.
#include "server/games/skribble/skribble_state.hpp"

#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <stdexcept>

namespace roomctl::games::skribble {

namespace json = boost::json;

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::lobby:
      return "lobby";
    case Phase::intro:
      return "intro";
    case Phase::choosing:
      return "choosing";
    case Phase::drawing:
      return "drawing";
    case Phase::turn_end:
      return "turn_end";
    case Phase::game_over:
      return "game_over";
  }
  return "lobby";
}

std::vector<std::string> phase_names() {
  std::vector<std::string> names;
  for (int p = 0; p <= static_cast<int>(Phase::game_over); ++p)
    names.push_back(phase_name(static_cast<Phase>(p)));
  return names;
}

namespace {
Phase phase_from(std::string_view s) {
  for (Phase p : {Phase::lobby, Phase::intro, Phase::choosing, Phase::drawing, Phase::turn_end,
                  Phase::game_over})
    if (s == phase_name(p)) return p;
  throw std::runtime_error("unknown skribble phase");
}
template <typename T>
T get(const json::object& o, const char* k) {
  return json::value_to<T>(o.at(k));
}
}  // namespace

json::object to_json(const State& s) {
  json::array players;
  for (const auto& p : s.players)
    players.push_back(json::object{{"id", p.id},
                                   {"name", p.name},
                                   {"avatar", p.avatar},
                                   {"score", p.score},
                                   {"turnPoints", p.turn_points},
                                   {"guessed", p.guessed},
                                   {"connected", p.connected},
                                   {"recent", json::value_from(p.recent)}});
  json::object kicks;
  for (const auto& [t, voters] : s.kick_votes) kicks[t] = json::value_from(voters);
  const auto& st = s.settings;
  const auto& r = s.rules;
  return {
      {"game", "skribble"},
      {"roomId", s.room_id},
      {"rules",
       {{"timeScale", r.time_scale},
        {"maxPlayersCap", r.max_players_cap},
        {"maxChatBytes", r.max_chat_bytes},
        {"strokeLogMaxEvents", r.stroke_log_max_events},
        {"strokeLogMaxBytes", r.stroke_log_max_bytes},
        {"drawPerSecond", r.draw_messages_per_second},
        {"drawBurst", r.draw_burst}}},
      {"settings",
       {{"players", st.players},
        {"drawtime", st.drawtime},
        {"rounds", st.rounds},
        {"difficulty", st.difficulty},
        {"wordChoices", st.word_choices},
        {"hints", st.hints},
        {"customWords", json::value_from(st.custom_words)},
        {"customOnly", st.custom_only}}},
      {"host", s.host},
      {"players", std::move(players)},
      {"phase", phase_name(s.phase)},
      {"gen", s.gen},
      {"deadline", s.deadline},
      {"round", s.round},
      {"drawerIdx", s.drawer_idx},
      {"word", s.word},
      {"revealed", json::value_from(s.revealed)},
      {"hintsTotal", s.hints_total},
      {"elapsed", s.elapsed},
      {"step", s.step},
      {"drawerScored", s.drawer_scored},
      {"choices", json::value_from(s.choices)},
      {"autoChoice", s.auto_choice},
      {"usedWords", json::value_from(s.used_words)},
      // The log is the room's stroke stream (StrokeLog::take_changes). "strokes" stays, empty, so
      // that a binary from before the stream still reads the snapshot (with an empty canvas).
      {"strokes", json::array()},
      {"strokeStream", true},
      {"strokeLogFull", s.stroke_log_full},
      {"drawerGoneSince", s.drawer_gone_since},
      {"drawTokens", s.draw_tokens},
      {"drawRefillAt", s.draw_refill_at},
      {"kickVotes", std::move(kicks)},
      {"rng", s.rng},
      {"gameOverSent", s.game_over_sent},
  };
}

namespace {
void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("inconsistent skribble snapshot: ") + what);
}

// A stored snapshot is input like any other: indexes the game uses without checks must be in
// range, or a damaged row would crash the server on restore or at the room's next timer.
void check_consistent(const State& s) {
  auto players = static_cast<int>(s.players.size());
  // Only where the turn flow reads players[drawer_idx] unchecked (the INTRO timer and the word
  // choice) must the index name a player; elsewhere drawer() checks it (after leaves it may
  // point one before or past the remaining players).
  bool drawer_read = s.phase == Phase::intro || s.phase == Phase::choosing;
  require(s.drawer_idx >= -1, "drawerIdx");
  require(!drawer_read || (s.drawer_idx >= 0 && s.drawer_idx < players), "drawerIdx in a turn");
  require(s.phase != Phase::choosing ||
              (s.auto_choice >= 0 && s.auto_choice < static_cast<int>(s.choices.size())),
          "autoChoice");
  for (int i : s.revealed) require(i >= 0 && i < static_cast<int>(s.word.size()), "revealed");
  require(s.rules.time_scale > 0 && s.rules.max_players_cap >= 2, "rules");
  require(s.round >= 0 && s.step >= 0 && s.elapsed >= 0 && s.hints_total >= 0, "counters");
  require(s.settings.drawtime > 0 && s.settings.rounds > 0 && s.settings.players >= 2, "settings");
}
}  // namespace

State state_from_json(const json::object& o, const std::vector<StreamRow>& stroke_rows) {
  State s;
  s.room_id = get<std::string>(o, "roomId");
  const auto& r = o.at("rules").as_object();
  s.rules.time_scale = get<double>(r, "timeScale");
  s.rules.max_players_cap = get<int>(r, "maxPlayersCap");
  s.rules.max_chat_bytes = get<int>(r, "maxChatBytes");
  s.rules.stroke_log_max_events = get<std::size_t>(r, "strokeLogMaxEvents");
  s.rules.stroke_log_max_bytes = get<std::size_t>(r, "strokeLogMaxBytes");
  s.rules.draw_messages_per_second = get<double>(r, "drawPerSecond");
  s.rules.draw_burst = get<int>(r, "drawBurst");
  const auto& st = o.at("settings").as_object();
  s.settings.players = get<int>(st, "players");
  s.settings.drawtime = get<int>(st, "drawtime");
  s.settings.rounds = get<int>(st, "rounds");
  s.settings.difficulty = get<std::string>(st, "difficulty");
  s.settings.word_choices = get<int>(st, "wordChoices");
  s.settings.hints = get<int>(st, "hints");
  s.settings.custom_words = get<std::vector<std::string>>(st, "customWords");
  s.settings.custom_only = st.at("customOnly").as_bool();
  s.host = get<std::string>(o, "host");
  for (const auto& pv : o.at("players").as_array()) {
    const auto& p = pv.as_object();
    Player pl;
    pl.id = get<std::string>(p, "id");
    pl.name = get<std::string>(p, "name");
    pl.avatar = get<std::string>(p, "avatar");
    pl.score = get<int>(p, "score");
    pl.turn_points = get<int>(p, "turnPoints");
    pl.guessed = p.at("guessed").as_bool();
    pl.connected = p.at("connected").as_bool();
    pl.recent = get<std::vector<Millis>>(p, "recent");
    s.players.push_back(std::move(pl));
  }
  s.phase = phase_from(o.at("phase").as_string());
  s.gen = get<std::uint64_t>(o, "gen");
  s.deadline = get<Millis>(o, "deadline");
  s.round = get<int>(o, "round");
  s.drawer_idx = get<int>(o, "drawerIdx");
  s.word = get<std::string>(o, "word");
  s.revealed = get<std::vector<int>>(o, "revealed");
  s.hints_total = get<int>(o, "hintsTotal");
  s.elapsed = get<int>(o, "elapsed");
  s.step = get<int>(o, "step");
  s.drawer_scored = o.at("drawerScored").as_bool();
  s.choices = get<std::vector<std::string>>(o, "choices");
  s.auto_choice = get<int>(o, "autoChoice");
  s.used_words = get<std::set<std::string>>(o, "usedWords");
  s.strokes.set_limits(s.rules.stroke_log_max_events, s.rules.stroke_log_max_bytes);
  const auto& embedded = o.at("strokes").as_array();
  if (auto it = o.find("strokeStream"); it != o.end() && it->value().as_bool()) {
    require(embedded.empty(), "strokes beside a stroke stream");
    s.strokes.from_rows(stroke_rows);
  } else {
    s.strokes.from_json(embedded);  // written before the stroke stream: the rows are not its own
  }
  s.stroke_log_full = o.at("strokeLogFull").as_bool();
  s.drawer_gone_since = get<Millis>(o, "drawerGoneSince");
  s.draw_tokens = get<double>(o, "drawTokens");
  s.draw_refill_at = get<Millis>(o, "drawRefillAt");
  for (const auto& [t, voters] : o.at("kickVotes").as_object())
    s.kick_votes[std::string(t)] = json::value_to<std::set<std::string>>(voters);
  s.rng = get<std::uint64_t>(o, "rng");
  s.game_over_sent = o.at("gameOverSent").as_bool();
  check_consistent(s);
  return s;
}

}  // namespace roomctl::games::skribble
