// Spy bots.
#include "loadgen/spy_room_driver.hpp"

#include <boost/json.hpp>

#include "loadgen/clock.hpp"

namespace roomctl::loadgen {

namespace json = boost::json;

SpyRoomDriver::SpyRoomDriver(DriverEnv env, std::string room_id, std::string user_prefix,
                             int players, std::uint64_t seed, std::string mode)
    : RoomDriver(std::move(env), std::move(room_id), std::move(user_prefix), players, seed),
      mode_(std::move(mode)) {}

void SpyRoomDriver::create_room() {
  send(0,
       {{"EventFrom", "SpyGame"}, {"type", "CREATE_ROOM"}, {"name", "bot0"}, {"gameMode", mode_}});
}

void SpyRoomDriver::join(int bot) {
  send(bot,
       {{"EventFrom", "SpyGame"}, {"type", "join_room"}, {"name", "bot" + std::to_string(bot)}});
}

void SpyRoomDriver::all_joined() {
  after(env_.options.think_ms, [this] { ready_all(); });
}

void SpyRoomDriver::ready_all() {
  spies_.clear();
  civilians_.clear();
  spy_word_.clear();
  started_seen_ = false;
  ended_seen_ = false;
  alive_.clear();
  for (auto& b : bots_) alive_.push_back(b.user);
  ready_sent_ = std::chrono::steady_clock::now();
  for (int i = 0; i < static_cast<int>(bots_.size()); ++i)
    send(i, {{"EventFrom", "SpyGame"}, {"type", "ready"}});
}

void SpyRoomDriver::vote(int bot) {
  const std::string& me = bots_[static_cast<std::size_t>(bot)].user;
  const std::string& strategy = env_.options.vote_strategy;
  if (strategy == "abstain") return;
  std::vector<std::string> others;
  for (const auto& a : alive_)
    if (a != me) others.push_back(a);
  if (others.empty()) return;
  std::string target;
  std::string spy = spies_.empty() ? "" : *spies_.begin();
  if (strategy == "oracle" && me != spy && !spy.empty())
    target = spy;  // civilians find the spy
  else
    target = others[std::uniform_int_distribution<std::size_t>(0, others.size() - 1)(rng_)];
  send(bot, {{"EventFrom", "SpyGame"}, {"type", "vote"}, {"votedPlayer", target}});
}

void SpyRoomDriver::game_over(const json::object& msg) {
  if (ended_seen_) return;
  ended_seen_ = true;
  env_.stats.inc("games_completed");
  env_.stats.inc("spy_games_completed");
  // Invariants of the game that just ended.
  if (spies_.size() != 1) env_.stats.violation("spy_count");
  std::set<std::string> words;
  for (const auto& [u, w] : civilians_) words.insert(w);
  if (words.size() > 1) env_.stats.violation("civilian_words_differ");
  if (!words.empty() && !spy_word_.empty() && words.count(spy_word_))
    env_.stats.violation("spy_word_equals_civilian_word");
  if (auto s = msg.find("spy");
      s != msg.end() && spies_.size() == 1 && s->value().as_string() != *spies_.begin())
    env_.stats.violation("announced_spy_differs");
  if (++games_ < env_.options.games_per_room)
    after(env_.options.think_ms, [this] { ready_all(); });
  else
    finish();
}

void SpyRoomDriver::on_message(int bot, const json::object& msg, std::string_view raw) {
  if (handle_common(bot, msg)) return;
  const auto& type = msg.at("type").as_string();
  const std::string& me = bots_[static_cast<std::size_t>(bot)].user;
  if (type == "gameStarted") {
    if (!started_seen_) {
      started_seen_ = true;
      env_.stats.inc("games_started");
      env_.stats.latency("game_start_latency",
                         std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - ready_sent_)
                             .count());
    }
  } else if (type == "spy") {
    spies_.insert(me);
    spy_word_ = std::string(msg.at("word").as_string());
  } else if (type == "civilianWord") {
    civilians_[me] = std::string(msg.at("word").as_string());
    if (msg.contains("player")) env_.stats.violation("civilian_word_leaks_spy");
  } else if (type == "speak_statement") {
    if (msg.at("currentSpeaker").as_string() != me) return;
    after(env_.options.think_ms, [this, bot] {
      send(bot, {{"EventFrom", "SpyGame"},
                 {"type", "send_chat"},
                 {"chat", "ts:" + std::to_string(monotonic_us())}});
      send(bot, {{"EventFrom", "SpyGame"}, {"type", "skip_speaking_statement"}});
    });
  } else if (type == "chat") {
    auto text = msg.at("chat").as_string();
    if (text.starts_with("ts:")) {
      std::int64_t sent = std::stoll(std::string(text.subview(3)));
      env_.stats.latency(msg.at("userId").as_string() == me ? "chat_rtt" : "fanout_latency",
                         monotonic_us() - sent);
    }
  } else if (type == "start_voting") {
    after(env_.options.think_ms, [this, bot] { vote(bot); });
  } else if (type == "alivePlayers") {
    if (bot != 0) return;
    alive_.clear();
    for (const auto& a : msg.at("alivePlayers").as_array()) alive_.emplace_back(a.as_string());
  } else if (type == "game_ended") {
    game_over(msg);
  }
  (void)raw;
}

}  // namespace roomctl::loadgen
