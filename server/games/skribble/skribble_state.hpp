// The whole state of one skribble room: plain data with a lossless JSON snapshot (timer deadline
// absolute, RNG one integer) plus the stroke log, which is stored beside the snapshot as the
// room's stroke stream (StrokeLog::take_changes), one row per entry.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/games/skribble/stroke_log.hpp"
#include "server/util/clock.hpp"

namespace roomctl::games::skribble {

enum class Phase { lobby, intro, choosing, drawing, turn_end, game_over };
const char* phase_name(Phase p);
// Every phase name, in order (what `roomctl inspect rooms --phase` accepts).
std::vector<std::string> phase_names();

struct Player {
  std::string id, name, avatar;
  int score = 0;
  int turn_points = -1;  // points this turn; -1 = has not scored this turn
  bool guessed = false;
  bool connected = true;
  std::vector<Millis> recent;  // chat times in the rate window
};

struct Settings {
  int players = 8;    // max players, 2..20
  int drawtime = 80;  // seconds, 15..240
  int rounds = 3;     // 2..10
  std::string difficulty = "easy";
  int word_choices = 0;  // 0 = the server picks (ORIG); 1..5 = the drawer chooses
  int hints = 1;         // 0..5
  std::vector<std::string> custom_words;
  bool custom_only = false;
};

struct Rules {  // from the serve profile, not changeable by players
  double time_scale = 1.0;
  int max_players_cap = 20;
  int max_chat_bytes = 10000;
  std::size_t stroke_log_max_events = 20000;
  std::size_t stroke_log_max_bytes = 2 << 20;
  double draw_messages_per_second = 60;
  int draw_burst = 120;
};

struct State {
  std::string room_id;
  Rules rules;
  Settings settings;
  std::string host;
  std::vector<Player> players;  // join order = drawing order
  Phase phase = Phase::lobby;
  std::uint64_t gen = 0;
  Millis deadline = 0;
  int round = 0;
  int drawer_idx = 0;
  std::string word;
  std::vector<int> revealed;  // indexes of the word shown to guessers
  int hints_total = 0;
  int elapsed = 0;            // seconds into DRAWING
  int step = 0;               // INTRO step, or TURN_END countdown value
  bool drawer_scored = true;  // false when the drawer left during the turn (no drawer score)
  std::vector<std::string> choices;
  int auto_choice = 0;
  std::set<std::string> used_words;
  StrokeLog strokes;
  bool stroke_log_full = false;
  Millis drawer_gone_since = 0;  // drawer disconnected during DRAWING
  double draw_tokens = 0;
  Millis draw_refill_at = 0;
  std::map<std::string, std::set<std::string>> kick_votes;  // target -> voters
  std::uint64_t rng = 0;
  bool game_over_sent = false;
};

// The snapshot without the stroke log ("strokeStream": true).
boost::json::object to_json(const State& s);
// A snapshot and the room's stored stroke stream. A snapshot from before the stream (no
// "strokeStream") embeds its log in "strokes" and the rows are ignored. Throws std::exception
// when the snapshot or a row is damaged.
State state_from_json(const boost::json::object& o, const std::vector<StreamRow>& stroke_rows = {});

}  // namespace roomctl::games::skribble
