// Spy game rules. ORIG behaviour unless a comment says FIX; each rule and the reason for each
// FIX are in docs/game-rules.md §spy.
#include "server/games/spy/spy_game.hpp"
#include "server/protocol/fields.hpp"
#include "server/protocol/replies.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cmath>

#include "server/games/game_timer.hpp"
#include "server/games/rng.hpp"

namespace roomctl::games::spy {

using protocol::error_frame;
using protocol::frame;
using protocol::trimmed;

namespace json = boost::json;

SpyGame::SpyGame(std::string room_id, Rules rules, const std::vector<WordPair>& pairs,
                 std::uint64_t seed)
    : pairs_(pairs) {
  s_.room_id = std::move(room_id);
  s_.rules = std::move(rules);
  s_.rng = seed;
}

SpyGame::SpyGame(State restored, const std::vector<WordPair>& pairs)
    : s_(std::move(restored)), pairs_(pairs) {
  rebuild_members();
}

Player* SpyGame::find(const std::string& user) {
  for (auto& p : s_.players)
    if (p.id == user) return &p;
  return nullptr;
}
const Player* SpyGame::find(const std::string& user) const {
  return const_cast<SpyGame*>(this)->find(user);
}
bool SpyGame::is_alive(const std::string& user) const {
  return std::find(s_.alive.begin(), s_.alive.end(), user) != s_.alive.end();
}
void SpyGame::rebuild_members() {
  member_ids_.clear();
  for (const auto& p : s_.players) member_ids_.push_back(p.id);
}

std::optional<std::pair<Millis, std::uint64_t>> SpyGame::timer() const {
  return armed_timer(s_.deadline, s_.gen);
}

Summary SpyGame::summary() const {
  Summary sum;
  sum.phase = phase_name(s_.phase);
  sum.players = static_cast<int>(s_.players.size());
  sum.running = s_.phase != Phase::lobby;
  sum.joinable = !sum.running && sum.players < s_.rules.max_players && sum.players > 0;
  sum.open_seats = sum.joinable ? s_.rules.max_players - sum.players : 0;
  sum.empty = s_.players.empty();
  return sum;
}

void SpyGame::arm(Millis now, Millis unscaled_ms) {
  arm_timer(s_.deadline, s_.gen, now, unscaled_ms, s_.rules.time_scale);
}

void SpyGame::step(const Event& e, Millis now, Effects& fx) {
  switch (e.kind) {
    case Event::Kind::message:
      return on_message(e, now, fx);
    case Event::Kind::timer:
      if (e.timer_gen != s_.gen || s_.deadline == 0) return;  // stale: the phase moved on
      return on_timer(now, fx);
    case Event::Kind::disconnected:
      if (auto* p = find(e.user)) {
        p->connected = false;
        fx.changed = true;
      }
      return;
    case Event::Kind::connected:
      return reconnect(e.user, fx);
    case Event::Kind::leave:
      return leave(e.user, now, fx);
    case Event::Kind::restored:
      for (auto& p : s_.players) p.connected = false;
      return;
  }
}

void SpyGame::on_message(const Event& e, Millis now, Effects& fx) {
  const json::object& body = e.body;
  if (e.type == "CREATE_ROOM") return create(e, fx);
  if (e.type == "join_room") return join(e, fx);
  if (!find(e.user)) {
    fx.to_one(e.user, error_frame("not_in_room", "join the room first"));
    return;
  }
  if (e.type == "GET_JOIN_EVENTS") return join_events(e.user, fx);
  if (e.type == "ready") return set_ready(e.user, true, now, fx);
  if (e.type == "notready") return set_ready(e.user, false, now, fx);
  if (e.type == "vote") return vote(e.user, body, now, fx);
  if (e.type == "skip_speaking_statement") return skip(e.user, now, fx);
  if (e.type == "send_chat") return chat(e.user, body, fx);
  if (e.type == "leave_room") return leave(e.user, now, fx);
  fx.to_one(e.user, error_frame("unknown_type", "unknown SpyGame message type \"" + e.type + "\""));
}

void SpyGame::maybe_start(Millis now, Effects& fx) {
  if (s_.phase != Phase::lobby || static_cast<int>(s_.players.size()) < s_.rules.min_players)
    return;
  for (const auto& p : s_.players)
    if (!p.ready) return;
  Rng rng(s_.rng);
  const WordPair& pair = pairs_[rng.below(static_cast<std::uint32_t>(pairs_.size()))];
  s_.alive.clear();
  for (auto& p : s_.players) {
    p.spectator = false;
    s_.alive.push_back(p.id);
  }
  s_.spy = s_.alive[rng.below(static_cast<std::uint32_t>(s_.alive.size()))];
  s_.first_speaker = static_cast<int>(rng.below(static_cast<std::uint32_t>(s_.alive.size())));
  s_.rng = rng.state();
  s_.civilian_word = pair.civilian;
  s_.spy_word = s_.rules.mode == "wordless_spy" ? "Wordless" : pair.spy;
  s_.round_no = 0;
  s_.votes.clear();
  s_.phase = Phase::countdown;
  s_.countdown = 2;
  fx.game_started = true;
  fx.changed = true;
  for (const auto& id : s_.alive) fx.statuses.emplace_back(id, UserStatus::in_game);
  // The app takes its first alive list from gameStarted.playerList (userId strings).
  fx.to_all(frame({{"type", "gameStarted"}, {"gameStarted", true}}),
            frame({{"type", "gameStarted"},
                   {"gameStarted", true},
                   {"playerList", json::array(s_.alive.begin(), s_.alive.end())}}));
  fx.to_all(frame({{"type", "countdown"}, {"seconds", 3}}));
  arm(now, kCountdownStepMs);
}

void SpyGame::send_words(const std::string& user, Effects& fx) const {
  if (user == s_.spy) {
    fx.to_one(user, frame({{"type", "spy"}, {"word", s_.spy_word}, {"player", s_.spy}}));
  } else if (const Player* p = find(user); p && !p->spectator) {
    // FIX: ORIG adds player:<spyId> here, telling every civilian who the spy is.
    fx.to_one(user, frame({{"type", "civilianWord"}, {"word", s_.civilian_word}}));
  }
}

void SpyGame::on_timer(Millis now, Effects& fx) {
  s_.deadline = 0;
  fx.changed = true;
  switch (s_.phase) {
    case Phase::countdown:
      fx.to_all(frame({{"type", "countdown"}, {"seconds", s_.countdown}}));
      if (s_.countdown > 0) {
        --s_.countdown;
        arm(now, kCountdownStepMs);
        return;
      }
      for (const auto& id : s_.alive) send_words(id, fx);
      s_.round_no = 1;
      fx.to_all(frame({{"type", "round_started"}, {"roundNo", s_.round_no}}));
      s_.phase = Phase::round_intro;
      arm(now, kRoundIntroMs);
      return;
    case Phase::round_intro:
      return start_speaking(now, fx);
    case Phase::speaking:
      ++s_.speaker_pos;
      return announce_speaker_or_vote(now, fx);
    case Phase::voting:
      return reveal(now, fx);
    case Phase::reveal:
      return resolve(now, fx);
    case Phase::lobby:
      return;
  }
}

void SpyGame::start_speaking(Millis now, Effects& fx) {
  // FIX: the first speaker rotates every round.
  s_.speakers.clear();
  std::size_t n = s_.alive.size();
  for (std::size_t i = 0; i < n; ++i)
    s_.speakers.push_back(s_.alive[(static_cast<std::size_t>(s_.first_speaker) + i) % n]);
  s_.first_speaker = static_cast<int>((static_cast<std::size_t>(s_.first_speaker) + 1) %
                                      std::max<std::size_t>(1, n));
  s_.speaker_pos = 0;
  s_.phase = Phase::speaking;
  announce_speaker_or_vote(now, fx);
}

void SpyGame::announce_speaker_or_vote(Millis now, Effects& fx) {
  fx.changed = true;
  if (s_.speaker_pos < static_cast<int>(s_.speakers.size())) {
    fx.to_all(
        frame({{"type", "speak_statement"}, {"currentSpeaker", s_.speakers[s_.speaker_pos]}}));
    arm(now, kSpeakMs);
    return;
  }
  s_.phase = Phase::voting;
  s_.votes.clear();
  auto start = frame({{"type", "start_voting"}});
  for (const auto& id : s_.alive) fx.to_one(id, start);
  arm(now, kVoteMs);
}

void SpyGame::skip(const std::string& user, Millis now, Effects& fx) {
  if (s_.phase != Phase::speaking || s_.speaker_pos >= static_cast<int>(s_.speakers.size()) ||
      s_.speakers[s_.speaker_pos] != user)
    return;  // ORIG: only the current speaker can skip; anything else is ignored
  ++s_.speaker_pos;
  announce_speaker_or_vote(now, fx);
}

void SpyGame::vote(const std::string& user, const json::object& body, Millis now, Effects& fx) {
  std::string target;
  if (auto it = body.find("votedPlayer"); it != body.end() && it->value().is_string())
    target = std::string(it->value().get_string());
  auto refuse = [&](const char* code, const char* text) {
    fx.to_one(user, error_frame(code, text));
  };
  if (s_.phase != Phase::voting) return refuse("not_voting", "Voting is not open");
  if (!is_alive(target)) return refuse("bad_vote", "Cannot vote for a player who is not alive");
  if (!is_alive(user)) return refuse("bad_vote", "You cannot vote as you are not alive");
  if (target == user) return refuse("bad_vote", "You cannot vote for yourself");  // FIX
  drop_votes_of(user);  // a re-vote replaces the earlier one
  auto it =
      std::find_if(s_.votes.begin(), s_.votes.end(), [&](auto& v) { return v.first == target; });
  if (it == s_.votes.end())
    s_.votes.emplace_back(target, std::vector<std::string>{user});
  else
    it->second.push_back(user);
  fx.changed = true;
  if (all_voted()) reveal(now, fx);  // FIX: ORIG always waits the full 15 s
}

void SpyGame::drop_votes_of(const std::string& user) {
  for (auto& [target, voters] : s_.votes)
    voters.erase(std::remove(voters.begin(), voters.end(), user), voters.end());
  s_.votes.erase(
      std::remove_if(s_.votes.begin(), s_.votes.end(), [](auto& v) { return v.second.empty(); }),
      s_.votes.end());
}

bool SpyGame::all_voted() const {
  std::size_t cast = 0;
  for (const auto& [target, voters] : s_.votes) cast += voters.size();
  return !s_.alive.empty() && cast >= s_.alive.size();
}

void SpyGame::reveal(Millis now, Effects& fx) {
  std::size_t best = 0;
  int at_best = 0;
  json::object results;
  for (const auto& [target, voters] : s_.votes) {
    results[target] = json::array(voters.begin(), voters.end());
    if (voters.size() > best) {
      best = voters.size();
      at_best = 1;
      s_.reveal_target = target;
    } else if (voters.size() == best) {
      ++at_best;
    }
  }
  if (best == 0 || at_best != 1) s_.reveal_target.clear();  // tie or no votes: nobody
  json::value max_votes = nullptr;
  if (!s_.reveal_target.empty())
    max_votes = json::object{{"player", s_.reveal_target}, {"votes", best}};
  fx.to_all(frame(
      {{"type", "end_voting"}, {"votingResults", std::move(results)}, {"maxVotes", max_votes}}));
  s_.phase = Phase::reveal;
  fx.changed = true;
  arm(now, kRevealMs);
}

void SpyGame::resolve(Millis now, Effects& fx) {
  if (!s_.reveal_target.empty() && s_.reveal_target == s_.spy)
    return end_game("civilians", "spy_caught", fx);
  if (!s_.reveal_target.empty()) std::erase(s_.alive, s_.reveal_target);
  fx.to_all(frame(
      {{"type", "alivePlayers"}, {"alivePlayers", json::array(s_.alive.begin(), s_.alive.end())}}));
  if (check_parity(fx)) return;
  s_.votes.clear();
  s_.reveal_target.clear();
  ++s_.round_no;
  if (s_.rules.max_rounds > 0 && s_.round_no > s_.rules.max_rounds)
    return end_game("spy", "max_rounds", fx);
  fx.to_all(frame({{"type", "round_started"}, {"roundNo", s_.round_no}}));
  s_.phase = Phase::round_intro;
  arm(now, kRoundIntroMs);
}

// Undercover parity: the spy wins once spies alive >= civilians alive (with one spy: 2 left).
bool SpyGame::check_parity(Effects& fx) {
  bool spy_alive = is_alive(s_.spy);
  std::size_t civilians = s_.alive.size() - (spy_alive ? 1 : 0);
  if (!spy_alive) {
    end_game("civilians", "spy_gone", fx);
    return true;
  }
  if (civilians <= 1) {
    end_game("spy", "parity", fx);
    return true;
  }
  return false;
}

void SpyGame::end_game(const std::string& winner, const char* reason, Effects& fx) {
  fx.to_all(
      frame({{"type", "game_ended"}, {"winner", winner}, {"spy", s_.spy}, {"reason", reason}}));
  fx.game_finished_outcome = winner;
  for (auto& p : s_.players) {
    p.ready = false;
    p.spectator = false;
    fx.statuses.emplace_back(p.id, UserStatus::in_room);
  }
  s_.phase = Phase::lobby;
  s_.deadline = 0;
  ++s_.gen;
  s_.alive.clear();
  s_.spy.clear();
  s_.spy_word.clear();
  s_.civilian_word.clear();
  s_.votes.clear();
  s_.speakers.clear();
  s_.reveal_target.clear();
  s_.round_no = 0;
  ++s_.games_played;
  fx.changed = true;
}

void SpyGame::leave(const std::string& user, Millis now, Effects& fx) {
  auto it =
      std::find_if(s_.players.begin(), s_.players.end(), [&](auto& p) { return p.id == user; });
  if (it == s_.players.end()) return;
  s_.players.erase(it);
  rebuild_members();
  fx.left.push_back(user);
  fx.statuses.emplace_back(user, UserStatus::idle);
  fx.changed = true;
  if (s_.host == user) s_.host = s_.players.empty() ? "" : s_.players.front().id;  // ORIG migration
  if (s_.players.empty()) {
    s_.phase = Phase::lobby;
    s_.deadline = 0;
    ++s_.gen;
    return;
  }
  if (s_.phase == Phase::lobby) {
    for (const auto& p : s_.players) send_state(p.id, fx);  // ORIG broadcasts room_state
    tell_legacy_members(fx);
    maybe_start(now, fx);  // the leaver may have been the last one not ready
    return;
  }
  if (user == s_.spy) return end_game("civilians", "spy_left", fx);
  fx.to_all(frame({{"type", "player_left"}, {"playerLeft", user}}));
  tell_legacy_members(fx);
  if (!is_alive(user)) return;
  // FIX: prune at once and re-check the win condition (ORIG waits for the next vote).
  std::erase(s_.alive, user);
  drop_votes_of(user);
  s_.votes.erase(
      std::remove_if(s_.votes.begin(), s_.votes.end(), [&](auto& v) { return v.first == user; }),
      s_.votes.end());
  if (check_parity(fx)) return;
  if (s_.phase == Phase::speaking) {
    auto pos = std::find(s_.speakers.begin(), s_.speakers.end(), user) - s_.speakers.begin();
    if (pos < static_cast<long>(s_.speakers.size())) {
      s_.speakers.erase(s_.speakers.begin() + pos);
      if (pos < s_.speaker_pos)
        --s_.speaker_pos;
      else if (pos == s_.speaker_pos)
        announce_speaker_or_vote(now, fx);  // FIX: the speaker left
    }
  } else if (s_.phase == Phase::voting && all_voted()) {
    reveal(now, fx);
  }
}

}  // namespace roomctl::games::spy
