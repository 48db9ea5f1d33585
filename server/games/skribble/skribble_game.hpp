// skribbl.io-style drawing and guessing as a pure state machine (docs/game-rules.md §skribble),
// ORIG wire names. LOBBY -> INTRO(ROUND_NUMBER +1 s, WORD +2 s) -> [CHOOSING] ->
// DRAWING(SECOND_TIMER every second) -> TURN_END(ROUND_END, TRANSITION_COUNTDOWN 4..1) ->
// INTRO ... -> GAME_OVER(+2 s).
// Every duration is scaled by rules.time_scale (scaled_ms, game_timer.hpp). One timer at a time
// (State::deadline, gen). The code: lobby and messages in skribble_game.cpp, turns and timers in
// skribble_turns.cpp, what players and operators see in skribble_views.cpp.
#pragma once

#include "server/games/game.hpp"
#include "server/games/skribble/skribble_state.hpp"
#include "server/games/skribble/word_lists.hpp"

namespace roomctl::games::skribble {

inline constexpr Millis kSecondMs = 1000;
inline constexpr Millis kChooseMs = 30000;
inline constexpr Millis kGameOverDelayMs = 2000;
inline constexpr Millis kDrawerGraceMs = 8000;  // scribble.rs: drawer gone + empty canvas
inline constexpr Millis kChatWindowMs = 3000;
inline constexpr int kChatPerWindow = 5;

class SkribbleGame : public Game {
 public:
  SkribbleGame(std::string room_id, Rules rules, const WordLists& words, std::uint64_t seed);
  SkribbleGame(State restored, const WordLists& words);

  void step(const Event& event, Millis now, Effects& fx) override;
  std::optional<std::pair<Millis, std::uint64_t>> timer() const override;
  Summary summary() const override;
  const std::vector<std::string>& members() const override { return member_ids_; }
  bool is_member(const std::string& user) const override { return index_of(user) >= 0; }
  boost::json::object snapshot() const override { return to_json(s_); }
  StreamChanges take_log_changes(bool all) override { return s_.strokes.take_changes(all); }
  boost::json::object inspect(Millis now, bool reveal) const override;
  std::string_view game_name() const override { return "skribble"; }
  const State& state() const { return s_; }
  static bool is_drawing_type(std::string_view type);

 private:
  void on_message(const Event& e, Millis now, Effects& fx);
  void on_timer(Millis now, Effects& fx);
  void create(const Event& e, Effects& fx);
  void join(const Event& e, Effects& fx);
  void join_events(const std::string& user, Effects& fx);
  void settings(const Event& e, Effects& fx);
  void start(const std::string& user, Millis now, Effects& fx);
  void chat(const std::string& user, const boost::json::object& body, Millis now, Effects& fx);
  void draw(const Event& e, Millis now, Effects& fx);
  void choose(const std::string& user, const boost::json::object& body, Millis now, Effects& fx);
  void vote_kick(const std::string& user, const boost::json::object& body, Millis now, Effects& fx);
  void leave(const std::string& user, Millis now, Effects& fx, bool kicked = false);
  void disconnected(const std::string& user, Millis now, Effects& fx);
  void reconnect(const std::string& user, Effects& fx);

  void guessed(const std::string& user, Millis now, Effects& fx);
  void start_drawing_after_choice(Millis now, Effects& fx);
  void begin_turn(Millis now, Effects& fx);
  void reveal_word(Effects& fx);
  void tick(Millis now, Effects& fx);
  void end_turn(const char* reason, Millis now, Effects& fx);
  void advance(Millis now, Effects& fx);
  void game_over(const char* outcome, Millis now, Effects& fx);
  void check_all_guessed(Millis now, Effects& fx);
  std::string pick_word();
  void arm(Millis now, Millis unscaled_ms);

  std::string mask() const;
  void send_snapshot(const std::string& user, Effects& fx) const;
  void broadcast_players(Effects& fx) const;
  boost::json::object setting_json() const;
  int connected_count() const;
  int index_of(const std::string& user) const;
  Player* find(const std::string& user);
  // The player drawer_idx names while a game runs; nullptr outside a game or when it names no
  // seat. A turn (INTRO, CHOOSING, DRAWING) always has one (leave(), check_consistent).
  const Player* drawer() const;
  Player* drawer();
  bool is_drawer(const std::string& user) const;
  bool running() const;
  void rebuild_members();

  State s_;
  const WordLists& words_;
  std::vector<std::string> member_ids_;
};

}  // namespace roomctl::games::skribble
