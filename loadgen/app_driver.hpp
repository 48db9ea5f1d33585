// App bots: users that are online without playing, exercising presence (app_opened and the
// users_online fan-out), direct messages to online users (latency measured), to offline users
// (queued, fetched with app_opened at the end: none may be lost), and friend requests/accepts.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "loadgen/bot_connection.hpp"
#include "loadgen/room_driver.hpp"

namespace roomctl::loadgen {

class AppDriver : public std::enable_shared_from_this<AppDriver> {
 public:
  AppDriver(DriverEnv env, std::string prefix, int users, std::uint64_t seed);
  void start();
  void attach(int i);
  // Stops sending, then collects the offline queues and closes; `done` runs at the end.
  void finish(std::function<void()> done);
  std::size_t connections() const;

 private:
  // `bot` picks the target (DriverEnv::target): app users spread like a room's bots.
  void connect(std::size_t bot, const std::string& user,
               std::function<void(std::shared_ptr<BotConnection>)> ready);
  void tick();
  void on_message(int bot, std::string_view raw);

  DriverEnv env_;
  std::string prefix_;
  std::vector<std::shared_ptr<BotConnection>> bots_;
  std::vector<int> server_reconnects_;  // per user
  std::vector<std::shared_ptr<BotConnection>> offline_readers_;
  std::mt19937_64 rng_;
  int users_;
  bool stopping_ = false;
  std::uint64_t ticks_ = 0;
  std::uint64_t queued_sent_ = 0, queued_received_ = 0;
  // The offline users' queues are bounded (dm.max_queue_messages): a long run fills them, and
  // the server refuses the rest with dm_queue_full. Those were never queued, so never lost.
  std::uint64_t queue_refused_ = 0;
  bool unreadable_ = false;  // an offline reader could not connect
  std::shared_ptr<boost::asio::steady_timer> timer_;
  // Looked up once: every direct message touches them.
  Histogram& dm_latency_;
  std::uint64_t* dm_sent_;
  std::uint64_t* dm_sent_offline_;
  std::uint64_t* dm_received_;
};

}  // namespace roomctl::loadgen
