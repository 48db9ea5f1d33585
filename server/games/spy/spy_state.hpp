// The whole state of one spy room: plain data, serialisable to JSON and back without loss
// (timer deadlines are absolute wall-clock milliseconds, the RNG is one integer).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "server/util/clock.hpp"

namespace roomctl::games::spy {

enum class Phase { lobby, countdown, round_intro, speaking, voting, reveal };
const char* phase_name(Phase p);
// Every phase name, in order (what `roomctl inspect rooms --phase` accepts).
std::vector<std::string> phase_names();

struct Player {
  std::string id;
  std::string name;
  bool ready = false;
  bool connected = true;
  bool spectator = false;  // joined while a game ran: watches, does not play or vote
};

struct Rules {
  std::string mode = "word_spy";  // or wordless_spy
  int max_players = 6;
  int min_players = 3;
  int max_rounds = 10;  // 0 = unlimited; past it the spy wins
  double time_scale = 1.0;
  int max_chat_length = 1000;
  int max_name_length = 32;
};

struct State {
  std::string room_id;
  Rules rules;
  std::string host;
  std::vector<Player> players;  // join order
  Phase phase = Phase::lobby;
  std::uint64_t gen = 0;  // bumped whenever a timer is armed; stale firings are ignored
  Millis deadline = 0;    // 0 = no timer
  int countdown = 0;      // next countdown number to announce
  std::vector<std::string> alive;
  std::string spy, spy_word, civilian_word;
  int round_no = 0;
  int first_speaker = 0;              // rotates every round (FIX: ORIG always starts at alive[0])
  std::vector<std::string> speakers;  // this round's order
  int speaker_pos = 0;
  std::vector<std::pair<std::string, std::vector<std::string>>> votes;  // target -> voters
  std::string reveal_target;  // unique top target of the last vote, or empty
  std::vector<std::pair<std::string, std::string>> chats;  // (userId, text), bounded
  std::uint64_t rng = 0;
  int games_played = 0;
};

boost::json::object to_json(const State& s);
State state_from_json(const boost::json::object& o);  // throws std::exception on bad input

}  // namespace roomctl::games::spy
