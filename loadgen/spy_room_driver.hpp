// Spy bots: ready up, speak (a timestamped chat, then skip) on their turn, vote by strategy,
// and play games_per_room games. Invariants checked per game: exactly one spy, every civilian
// got the same word, and the spy's word differs (or is "Wordless").
#pragma once

#include <map>
#include <set>

#include "loadgen/room_driver.hpp"

namespace roomctl::loadgen {

class SpyRoomDriver : public RoomDriver {
 public:
  SpyRoomDriver(DriverEnv env, std::string room_id, std::string user_prefix, int players,
                std::uint64_t seed, std::string mode);

 private:
  void create_room() override;
  void join(int bot) override;
  void all_joined() override;
  void on_message(int bot, const boost::json::object& msg, std::string_view raw) override;
  void ready_all();
  void vote(int bot);
  void game_over(const boost::json::object& msg);

  std::string mode_;
  int games_ = 0;
  std::chrono::steady_clock::time_point ready_sent_;
  bool started_seen_ = false;
  std::set<std::string> spies_;                   // bots told they are the spy this game
  std::map<std::string, std::string> civilians_;  // bot -> word
  std::vector<std::string> alive_;
  std::string spy_word_;
  bool ended_seen_ = false;
};

}  // namespace roomctl::loadgen
