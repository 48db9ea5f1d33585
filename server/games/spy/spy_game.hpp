// "Who is the Spy" / Undercover as a pure state machine (docs/game-rules.md §spy), ORIG wire
// names. LOBBY -> COUNTDOWN(3 s) -> ROUND_INTRO(4 s) -> SPEAKING(15 s each) -> VOTING(15 s) ->
// REVEAL(4 s) -> ROUND_INTRO ... -> game_ended -> LOBBY. Every duration is multiplied by
// rules.time_scale. One timer at a time: State::deadline with State::gen.
#pragma once

#include <vector>

#include "server/games/game.hpp"
#include "server/games/spy/spy_state.hpp"
#include "server/games/spy/word_pairs.hpp"

namespace roomctl::games::spy {

// Unscaled durations in milliseconds (ORIG's timings).
inline constexpr Millis kCountdownStepMs = 1000;
inline constexpr Millis kRoundIntroMs = 4000;  // ORIG: 1 s after round_started, then 3 s
inline constexpr Millis kSpeakMs = 15000;
inline constexpr Millis kVoteMs = 15000;
inline constexpr Millis kRevealMs = 4000;
inline constexpr std::size_t kMaxChats = 50;

class SpyGame : public Game {
 public:
  SpyGame(std::string room_id, Rules rules, const std::vector<WordPair>& pairs, std::uint64_t seed);
  SpyGame(State restored, const std::vector<WordPair>& pairs);

  void step(const Event& event, Millis now, Effects& fx) override;
  std::optional<std::pair<Millis, std::uint64_t>> timer() const override;
  Summary summary() const override;
  const std::vector<std::string>& members() const override { return member_ids_; }
  bool is_member(const std::string& user) const override { return find(user) != nullptr; }
  boost::json::object snapshot() const override { return to_json(s_); }
  boost::json::object inspect(Millis now, bool reveal) const override;
  std::string_view game_name() const override { return "spy"; }
  const State& state() const { return s_; }

 private:
  void on_message(const Event& e, Millis now, Effects& fx);
  void on_timer(Millis now, Effects& fx);
  void create(const Event& e, Effects& fx);
  void join(const Event& e, Effects& fx);
  void join_events(const std::string& user, Effects& fx);
  void set_ready(const std::string& user, bool ready, Millis now, Effects& fx);
  void vote(const std::string& user, const boost::json::object& body, Millis now, Effects& fx);
  void skip(const std::string& user, Millis now, Effects& fx);
  void chat(const std::string& user, const boost::json::object& body, Effects& fx);
  void leave(const std::string& user, Millis now, Effects& fx);
  void reconnect(const std::string& user, Effects& fx);

  void maybe_start(Millis now, Effects& fx);
  void start_speaking(Millis now, Effects& fx);
  void announce_speaker_or_vote(Millis now, Effects& fx);
  void reveal(Millis now, Effects& fx);
  void resolve(Millis now, Effects& fx);
  bool check_parity(Effects& fx);
  void end_game(const std::string& winner, const char* reason, Effects& fx);
  bool all_voted() const;
  void drop_votes_of(const std::string& user);
  void arm(Millis now, Millis unscaled_ms);
  void send_words(const std::string& user, Effects& fx) const;
  void send_state(const std::string& user, Effects& fx) const;
  void broadcast_player_list(Effects& fx) const;
  void tell_legacy_members(Effects& fx) const;
  Frame legacy_player_list() const;

  Player* find(const std::string& user);
  const Player* find(const std::string& user) const;
  bool is_alive(const std::string& user) const;
  void rebuild_members();

  State s_;
  const std::vector<WordPair>& pairs_;
  std::vector<std::string> member_ids_;
};

}  // namespace roomctl::games::spy
