// A room of synthetic players: connects its bots, creates and fills the room, then lets the
// game-specific subclass play (every message of every bot arrives at on_message). The driver
// sees all its bots at once, which is how it checks the game's invariants and how "oracle" bots
// know what a real player would only guess.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "loadgen/bot_connection.hpp"
#include "loadgen/frame_peek.hpp"
#include "loadgen/loadtest_options.hpp"
#include "loadgen/stats.hpp"

namespace roomctl::loadgen {

struct DriverEnv {
  boost::asio::io_context& ioc;
  Stats& stats;
  const LoadtestOptions& options;
  const std::vector<Target>& targets;
  std::size_t room_no;                     // which room (or app driver) this is
  std::function<std::string()> source_ip;  // next source address, or empty
  // The target of bot `bot` (options.target_spread decides).
  const Target& target(std::size_t bot) const {
    return targets[target_index(options.target_spread, targets.size(), room_no, bot)];
  }
};

class RoomDriver : public std::enable_shared_from_this<RoomDriver> {
 public:
  RoomDriver(DriverEnv env, std::string room_id, std::string user_prefix, int players,
             std::uint64_t seed);
  virtual ~RoomDriver() = default;
  void start();
  // Players leave and disconnect; on_finished runs once everything is closed.
  void finish();
  bool finished() const { return finished_; }
  // The room ended because a player could not connect (the runner backs off before the next).
  bool connect_failed() const { return connect_failed_; }
  std::function<void()> on_finished;

  // Faults: drop a fraction of the connections and reconnect them at once with the same userId.
  void storm(double fraction);
  void slow_readers(double fraction, std::int64_t pause_ms);
  std::size_t connections() const;

 protected:
  struct Bot {
    std::string user;
    std::shared_ptr<BotConnection> conn;
    std::chrono::steady_clock::time_point join_sent;
    int server_reconnects = 0;  // after 1012, 4004 or 1006 (a node restarting or gone)
  };
  virtual void create_room() = 0;  // bot 0 creates; the reply arrives at on_message
  virtual void join(int bot) = 0;  // the game's join message
  virtual void on_message(int bot, const boost::json::object& msg, std::string_view raw) = 0;
  // The fast path: a frame the game only times or counts, handled from its peeked fields alone.
  // Returns false to have the frame parsed and passed to on_message.
  virtual bool on_timed_frame(int bot, const FramePeek& frame) { return false; }
  virtual void on_reconnected(int bot) {}
  // An error reply the game's timing makes unavoidable (a message crossing a phase change):
  // counted apart, not as an error.
  virtual bool expected_error(int bot, const std::string& code) { return false; }

  void send(int bot, boost::json::object o);
  // A message already serialised, with userId and roomId added here (the drawer's hot path).
  void send_text(int bot, std::string text);
  void after(std::int64_t ms, std::function<void()> fn);
  // Common replies: create/join bookkeeping; returns true when the message was handled.
  bool handle_common(int bot, const boost::json::object& msg);
  virtual void all_joined() = 0;

  DriverEnv env_;
  std::string room_id_;
  std::vector<Bot> bots_;
  std::mt19937_64 rng_;
  int joined_ = 0;
  bool finishing_ = false;

 private:
  void connect(int bot, bool reconnect);
  void closed(int bot, std::uint16_t code);
  bool finished_ = false, connect_failed_ = false;
  int open_ = 0;
};

}  // namespace roomctl::loadgen
