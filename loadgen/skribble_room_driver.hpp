// Skribble bots: the host configures and starts; the drawer sends timestamped drawing batches
// at a fixed rate from a fixed schedule (open loop: latency counts from the intended send time,
// so a stalled server cannot hide behind a slowed sender); guessers send wrong guesses and then,
// with a probability, the word. Invariants per turn and game: guessers who found the word score
// and the others do not, the drawer scores the guessers' average, and the final score card
// equals the sum of the turns and is sorted.
#pragma once

#include <map>
#include <set>

#include "loadgen/room_driver.hpp"

namespace roomctl::loadgen {

class SkribbleRoomDriver : public RoomDriver {
 public:
  SkribbleRoomDriver(DriverEnv env, std::string room_id, std::string user_prefix, int players,
                     std::uint64_t seed);

 private:
  void create_room() override;
  void join(int bot) override;
  void all_joined() override;
  void on_message(int bot, const boost::json::object& msg, std::string_view raw) override;
  bool on_timed_frame(int bot, const FramePeek& frame) override;
  void start_game();
  void begin_turn(int drawer, const std::string& word);
  void draw_tick(std::uint64_t turn, std::int64_t seq);
  std::string stroke(std::int64_t intended_us, std::int64_t seq);
  void on_tick(int bot, std::int64_t time);
  void turn_ended(const boost::json::object& msg);
  void game_over(const boost::json::object& msg);
  bool expected_error(int bot, const std::string& code) override;

  struct Guesser {
    bool will_guess = false;
    int wrong_at = 0, right_at = 0;
    int wrong_left = 0;
    bool sent_right = false;
  };
  int games_ = 0;
  std::chrono::steady_clock::time_point start_sent_;
  bool started_seen_ = false;
  int drawer_ = -1;
  std::uint64_t ended_turn_ = 0;  // the turn whose ROUND_END was taken into the totals
  std::string turn_key_;          // "<round>/<drawer>" of the turn begun last
  int last_drawer_ = -1;
  std::string word_;
  std::uint64_t turn_ = 0;
  bool drawing_ = false;
  std::chrono::steady_clock::time_point draw_t0_;
  boost::asio::steady_timer draw_timer_;  // one per room: the schedule allocates nothing per tick
  Histogram& fanout_;
  std::map<int, Guesser> guessers_;
  std::set<std::string> matched_;               // users the server said guessed this turn
  std::map<std::string, std::int64_t> totals_;  // from ROUND_END, per user
  bool over_seen_ = false;
};

}  // namespace roomctl::loadgen
