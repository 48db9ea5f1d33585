// SkribbleGame, part two: the turn flow. Word picking, the INTRO/CHOOSING/DRAWING/TURN_END timers,
// hints, scoring, game over and a player leaving mid-game (docs/game-rules.md §skribble.turn to
// §skribble.leave).
#include <algorithm>
#include <boost/json/value_from.hpp>

#include "server/games/game_timer.hpp"
#include "server/games/rng.hpp"
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

std::string SkribbleGame::pick_word() {
  std::vector<const std::string*> pool;
  if (!s_.settings.custom_words.empty())
    for (const auto& w : s_.settings.custom_words) pool.push_back(&w);
  if (!s_.settings.custom_only)
    for (const auto& w : words_.for_difficulty(s_.settings.difficulty)) pool.push_back(&w);
  std::vector<const std::string*> fresh;
  for (auto* w : pool)
    if (!s_.used_words.count(*w)) fresh.push_back(w);
  auto& from = fresh.empty() ? pool : fresh;
  Rng rng(s_.rng);
  std::string word = *from[rng.below(static_cast<std::uint32_t>(from.size()))];
  s_.rng = rng.state();
  s_.used_words.insert(word);
  return word;
}

// Next drawer after drawer_idx, skipping disconnected players (FIX); wrapping starts a new round.
void SkribbleGame::advance(Millis now, Effects& fx) {
  if (connected_count() < 2) return game_over("abandoned", now, fx);
  int n = static_cast<int>(s_.players.size());
  int i = s_.drawer_idx + 1;
  for (int tries = 0; tries <= 2 * n; ++tries, ++i) {
    if (i >= n) {
      i = 0;
      if (++s_.round > s_.settings.rounds) return game_over("completed", now, fx);
    }
    if (s_.players[static_cast<std::size_t>(i)].connected) {
      s_.drawer_idx = i;
      return begin_turn(now, fx);
    }
  }
  game_over("abandoned", now, fx);
}

void SkribbleGame::begin_turn(Millis now, Effects& fx) {
  for (auto& p : s_.players) {
    p.guessed = false;
    p.turn_points = -1;
  }
  s_.strokes.clear();
  s_.stroke_log_full = false;
  s_.revealed.clear();
  s_.elapsed = 0;
  s_.drawer_scored = true;
  s_.drawer_gone_since = 0;
  s_.kick_votes.clear();
  s_.choices.clear();
  s_.word.clear();
  if (s_.settings.word_choices == 0) {
    s_.word = pick_word();
  } else {
    for (int k = 0; k < s_.settings.word_choices; ++k) s_.choices.push_back(pick_word());
    Rng rng(s_.rng);
    s_.auto_choice = static_cast<int>(rng.below(static_cast<std::uint32_t>(s_.choices.size())));
    s_.rng = rng.state();
  }
  s_.phase = Phase::intro;
  s_.step = 0;
  s_.draw_tokens = s_.rules.draw_burst;
  s_.draw_refill_at = now;
  fx.changed = true;
  arm(now, kSecondMs);
}

void SkribbleGame::reveal_word(Effects& fx) {
  const Player& d = *drawer();  // a turn always has a drawer
  s_.hints_total = hint_count(s_.settings.hints, s_.word);
  fx.to_one(d.id, frame({{"type", "WORD"},
                         {"word", s_.word},
                         {"currentRoundNo", s_.round},
                         {"currentUser", d.id}}));
  auto length = frame({{"type", "WORD_LENGTH"},
                       {"wordLength", protocol::code_points(s_.word)},  // letters, not bytes
                       {"currentRoundNo", s_.round},
                       {"currentUser", d.id},
                       {"drawerName", d.name},
                       {"mask", mask()}});
  fx.to_all_but(d.id, length);
}

void SkribbleGame::start_drawing_after_choice(Millis now, Effects& fx) {
  reveal_word(fx);
  s_.phase = Phase::drawing;
  s_.elapsed = 0;
  fx.changed = true;
  arm(now, kSecondMs);
}

void SkribbleGame::on_timer(Millis now, Effects& fx) {
  switch (s_.phase) {
    case Phase::intro: {
      const Player& d = *drawer();  // a turn always has a drawer
      if (s_.step == 0) {
        fx.to_all(frame({{"type", "ROUND_NUMBER"},
                         {"currentRoundNo", s_.round},
                         {"currentUser", d.id},
                         {"drawerName", d.name}}));
        if (s_.settings.word_choices > 0) {  // OPT: the drawer chooses
          s_.phase = Phase::choosing;
          fx.to_one(d.id, frame({{"type", "CHOOSE_WORD"},
                                 {"words", json::value_from(s_.choices)},
                                 {"timeout", kChooseMs / 1000}}));
          fx.to_all_but(
              d.id, frame({{"type", "CHOOSING"}, {"currentUser", d.id}, {"drawerName", d.name}}));
          return arm(now, kChooseMs);
        }
        s_.step = 1;
        return arm(now, kSecondMs);
      }
      if (s_.step == 1) {
        reveal_word(fx);
        s_.step = 2;
        return arm(now, 3 * kSecondMs);
      }
      s_.phase = Phase::drawing;
      s_.elapsed = 0;
      return arm(now, kSecondMs);
    }
    case Phase::choosing:
      s_.word =
          s_.choices[static_cast<std::size_t>(s_.auto_choice)];  // timeout: the preselected word
      return start_drawing_after_choice(now, fx);
    case Phase::drawing:
      return tick(now, fx);
    case Phase::turn_end:
      if (s_.step >= 1) {
        fx.to_all(frame({{"type", "TRANSITION_COUNTDOWN"}, {"countdown", s_.step}}));
        --s_.step;
        return arm(now, kSecondMs);
      }
      return advance(now, fx);
    case Phase::game_over:
      if (!s_.game_over_sent) {
        std::vector<const Player*> card;
        for (const auto& p : s_.players) card.push_back(&p);
        std::stable_sort(card.begin(), card.end(),
                         [](auto* a, auto* b) { return a->score > b->score; });
        json::array score_card;  // FIX: sorted by score
        for (auto* p : card)
          score_card.push_back(json::object{
              {"userId", p->id}, {"name", p->name}, {"score", p->score}, {"avatar", p->avatar}});
        fx.to_all(
            frame({{"type", "GAME_OVER"}, {"time", 0}, {"ScoreCard", std::move(score_card)}}));
        s_.game_over_sent = true;
      }
      return;
    case Phase::lobby:
      return;
  }
}

void SkribbleGame::tick(Millis now, Effects& fx) {
  ++s_.elapsed;
  int drawtime = s_.settings.drawtime;
  json::object timer{
      {"type", "SECOND_TIMER"}, {"time", s_.elapsed}, {"timeRemaining", drawtime - s_.elapsed}};
  int next = static_cast<int>(s_.revealed.size()) + 1;
  if (next <= s_.hints_total && s_.elapsed >= hint_second(next, s_.hints_total, drawtime)) {
    // Indices are code-point positions, so a hint reveals a whole letter and matches the mask.
    auto letters = protocol::split_code_points(s_.word);
    std::vector<int> hidden;
    for (int i = 0; i < static_cast<int>(letters.size()); ++i)
      if (is_letter(letters[static_cast<std::size_t>(i)]) &&
          std::find(s_.revealed.begin(), s_.revealed.end(), i) == s_.revealed.end())
        hidden.push_back(i);
    if (!hidden.empty()) {
      Rng rng(s_.rng);
      int idx = hidden[rng.below(static_cast<std::uint32_t>(hidden.size()))];
      s_.rng = rng.state();
      s_.revealed.push_back(idx);
      timer["reveledIndex"] = idx;  // ORIG's spelling
      timer["letterReveled"] = std::string(letters[static_cast<std::size_t>(idx)]);
    }
  }
  fx.to_all(frame(timer));
  bool drawer_gone = s_.drawer_gone_since != 0 && s_.strokes.empty() &&
                     now - s_.drawer_gone_since >= scaled_ms(kDrawerGraceMs, s_.rules.time_scale);
  if (drawer_gone) return end_turn("drawer_gone", now, fx);
  if (s_.elapsed >= drawtime) return end_turn("time", now, fx);
  arm(now, kSecondMs);
}

void SkribbleGame::guessed(const std::string& user, Millis now, Effects& fx) {
  Player& p = *find(user);
  int points = guess_points(s_.elapsed, s_.settings.drawtime);
  p.guessed = true;
  p.turn_points = points;
  p.score += points;
  fx.changed = true;
  std::string text = p.name + " guessed the word!";
  auto with_word =
      frame({{"type", "WORD_MATCHED"}, {"message", text}, {"userId", user}, {"word", s_.word}});
  auto without = frame({{"type", "WORD_MATCHED"}, {"message", text}, {"userId", user}});
  // FIX: ORIG sends the word to everyone; only those who know it get it here.
  for (const auto& q : s_.players)
    fx.to_one(q.id, q.guessed || is_drawer(q.id) ? with_word : without);
  check_all_guessed(now, fx);
}

void SkribbleGame::check_all_guessed(Millis now, Effects& fx) {
  if (s_.phase != Phase::drawing) return;
  int guessers = 0;
  for (const auto& p : s_.players) {
    if (is_drawer(p.id) || !p.connected) continue;
    if (!p.guessed) return;
    ++guessers;
  }
  if (guessers > 0) end_turn("all_guessed", now, fx);
}

void SkribbleGame::end_turn(const char* reason, Millis now, Effects& fx) {
  int total = 0, guessers = 0;
  json::object round_score;
  for (auto& p : s_.players) {
    if (is_drawer(p.id)) continue;
    if (p.turn_points < 0) p.turn_points = 0;  // non-guessers get 0 this turn
    if (p.guessed) {
      total += p.turn_points;
      ++guessers;
    }
    round_score[p.id] = p.turn_points;
  }
  if (Player* d = drawer(); d && s_.drawer_scored) {
    int drawer_points = guessers > 0 ? total / guessers : 0;  // ORIG: average over the guessers
    d->turn_points = drawer_points;
    d->score += drawer_points;
    round_score[d->id] = drawer_points;
  }
  fx.to_all(frame({{"type", "ROUND_END"},
                   {"time", s_.elapsed},
                   {"roundScore", std::move(round_score)},
                   {"word", s_.word},
                   {"reason", reason}}));  // FIX: the word is revealed
  fx.to_all(frame({{"type", "TRANSITION_COUNTDOWN"}, {"countdown", 4}}));
  s_.phase = Phase::turn_end;
  s_.step = 3;
  fx.changed = true;
  arm(now, kSecondMs);
}

void SkribbleGame::game_over(const char* outcome, Millis now, Effects& fx) {
  s_.phase = Phase::game_over;
  s_.game_over_sent = false;
  fx.game_finished_outcome = outcome;
  for (const auto& p : s_.players) fx.statuses.emplace_back(p.id, UserStatus::in_room);
  fx.changed = true;
  arm(now, kGameOverDelayMs);
}

void SkribbleGame::leave(const std::string& user, Millis now, Effects& fx, bool kicked) {
  int idx = index_of(user);
  if (idx < 0) return;
  bool was_drawer = is_drawer(user);
  if (kicked && was_drawer) {  // scribble.rs: a kicked drawer's turn gives nobody points
    for (auto& p : s_.players)
      if (p.turn_points > 0) p.score -= p.turn_points;
    for (auto& p : s_.players) p.turn_points = -1, p.guessed = false;
  }
  s_.players.erase(s_.players.begin() + idx);
  rebuild_members();
  fx.left.push_back(user);
  fx.statuses.emplace_back(user, UserStatus::idle);
  fx.changed = true;
  if (s_.players.empty()) {
    s_.phase = Phase::lobby;
    s_.deadline = 0;
    ++s_.gen;
    return;
  }
  fx.to_all(frame({{"type", "PLAYER_LEFT"}, {"userId", user}}));
  if (s_.host == user) {  // ORIG: the earliest joiner still present becomes host
    s_.host = s_.players.front().id;
    fx.to_one(s_.host,
              frame({{"type", "PLAYER_ROLE"}, {"host", true}, {"gameSetting", setting_json()}}));
  }
  broadcast_players(fx);
  if (!running()) return;
  if (was_drawer) {
    s_.drawer_idx = idx - 1;  // FIX: the next drawer is the player after the leaver (ORIG restarts)
    if (connected_count() < 2) return game_over("abandoned", now, fx);
    if (s_.phase == Phase::drawing) {
      s_.drawer_scored = false;  // ORIG: no drawer score; guessers keep theirs
      return end_turn(kicked ? "drawer_kicked" : "drawer_left", now, fx);
    }
    if (s_.phase == Phase::intro || s_.phase == Phase::choosing)
      return advance(now, fx);  // FIX: ORIG freezes
    return;  // TURN_END: the countdown goes on and advances from the adjusted index
  }
  if (idx < s_.drawer_idx) --s_.drawer_idx;  // ORIG
  if (connected_count() < 2) return game_over("abandoned", now, fx);
  check_all_guessed(now, fx);  // FIX: ORIG never rechecks and freezes
}

}  // namespace roomctl::games::skribble
