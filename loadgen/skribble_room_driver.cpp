// Skribble bots.
#include "loadgen/skribble_room_driver.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "loadgen/clock.hpp"

namespace roomctl::loadgen {

namespace json = boost::json;

SkribbleRoomDriver::SkribbleRoomDriver(DriverEnv env, std::string room_id, std::string user_prefix,
                                       int players, std::uint64_t seed)
    : RoomDriver(std::move(env), std::move(room_id), std::move(user_prefix), players, seed),
      draw_timer_(env_.ioc),
      fanout_(env_.stats.histogram("fanout_latency")) {}

void SkribbleRoomDriver::create_room() {
  send(0,
       {{"EventFrom", "SkribbleGame"}, {"type", "CREATE_SKRIBBLE_ROOM"}, {"PlayerName", "bot0"}});
}

void SkribbleRoomDriver::join(int bot) {
  send(bot, {{"EventFrom", "SkribbleGame"},
             {"type", "JOIN_SKRIBBLE_ROOM"},
             {"name", "bot" + std::to_string(bot)}});
}

void SkribbleRoomDriver::all_joined() {
  const auto& o = env_.options;
  send(0, {{"EventFrom", "SkribbleGame"},
           {"type", "SKRIBBLE_GAME_SETTINGS"},
           {"settings",
            {{"rounds", o.skribble_rounds},
             {"drawtime", o.skribble_drawtime},
             {"players", std::max<int>(2, static_cast<int>(bots_.size()))}}}});
  after(env_.options.think_ms, [this] { start_game(); });
}

void SkribbleRoomDriver::start_game() {
  totals_.clear();
  turn_key_.clear();
  started_seen_ = false;
  over_seen_ = false;
  start_sent_ = std::chrono::steady_clock::now();
  send(0, {{"EventFrom", "SkribbleGame"}, {"type", "START_SKRIBBLE_GAME"}});
}

// Drawing batches already on the wire when a turn ends are refused: not a server error.
bool SkribbleRoomDriver::expected_error(int bot, const std::string& code) {
  return code == "not_drawer" && !drawing_ && (bot == drawer_ || bot == last_drawer_);
}

void SkribbleRoomDriver::begin_turn(int drawer, const std::string& word) {
  last_drawer_ = drawer_;
  drawer_ = drawer;
  word_ = word;
  ++turn_;
  matched_.clear();
  guessers_.clear();
  const auto& o = env_.options;
  std::bernoulli_distribution guesses(o.guess_probability);
  std::uniform_int_distribution<int> when(1, std::max(1, o.skribble_drawtime - 3));
  for (int i = 0; i < static_cast<int>(bots_.size()); ++i) {
    if (i == drawer) continue;
    Guesser g;
    g.will_guess = guesses(rng_);
    g.right_at = when(rng_);
    g.wrong_at = std::max(1, g.right_at - 1);
    g.wrong_left = o.wrong_guesses;
    guessers_[i] = g;
  }
}

// Fixed schedule from the turn's start: tick k is due at t0 + k * interval, whatever happened to
// the ticks before it, and carries that intended time. The timer waits for the exact due time
// (never earlier: a timer rounded to whole milliseconds fired early and produced "negative"
// latencies), and a tick that runs late still stamps the time it was due, so a stalled server or
// a busy load generator cannot hide behind a slowed sender (no coordinated omission).
void SkribbleRoomDriver::draw_tick(std::uint64_t turn, std::int64_t seq) {
  if (!drawing_ || turn != turn_ || finishing_) return;
  auto interval =
      std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / env_.options.stroke_rate));
  auto due = draw_t0_ + interval * seq;
  send_text(drawer_, stroke(to_us(due), seq));
  env_.stats.inc("offered_messages");
  draw_timer_.expires_at(due + interval);
  std::weak_ptr<RoomDriver> weak = shared_from_this();
  draw_timer_.async_wait([this, weak, turn, seq](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec && !finished()) draw_tick(turn, seq + 1);
  });
}

// A drawing message written directly: the drawer sends one per tick, and a DOM per message would
// cost the load generator more than the server spends relaying it.
std::string SkribbleRoomDriver::stroke(std::int64_t intended_us, std::int64_t seq) {
  std::string out = R"({"EventFrom":"SkribbleGame","type":"SKRIBBLE_DRAW","t":)";
  char num[24];
  auto append_number = [&](std::int64_t v) {
    auto r = std::to_chars(num, num + sizeof num, v);
    out.append(num, r.ptr);
  };
  append_number(intended_us);
  out += R"(,"seq":)";
  append_number(seq);
  out += R"(,"points":[)";
  std::uniform_int_distribution<int> coord(0, 1600);
  for (int i = 0; i < env_.options.stroke_batch; ++i) {
    out += i ? ",[" : "[";
    append_number(coord(rng_));
    out += ',';
    append_number(coord(rng_) % 900);
    out += ']';
  }
  out += R"(],"color":3,"width":8})";
  return out;
}

void SkribbleRoomDriver::on_tick(int bot, std::int64_t time) {
  auto it = guessers_.find(bot);
  if (it == guessers_.end()) return;
  auto& g = it->second;
  if (g.wrong_left > 0 && time >= g.wrong_at) {
    --g.wrong_left;
    send(bot, {{"EventFrom", "SkribbleGame"},
               {"type", "SKRIBBLE_MESSAGE"},
               {"message", "zz" + word_ + "qq"}});
  }
  if (g.will_guess && !g.sent_right && time >= g.right_at) {
    g.sent_right = true;
    send(bot, {{"EventFrom", "SkribbleGame"}, {"type", "SKRIBBLE_MESSAGE"}, {"message", word_}});
  }
}

void SkribbleRoomDriver::turn_ended(const json::object& msg) {
  const auto& score = msg.at("roundScore").as_object();
  std::int64_t total = 0, guessed = 0;
  for (const auto& [user, v] : score) {
    std::int64_t pts = v.as_int64();
    totals_[std::string(user)] += pts;
    bool is_drawer = drawer_ >= 0 && user == bots_[static_cast<std::size_t>(drawer_)].user;
    if (is_drawer) continue;
    bool found = matched_.count(std::string(user)) != 0;
    if (found != (pts > 0)) env_.stats.violation("guess_score_mismatch");
    if (found) {
      total += pts;
      ++guessed;
    }
  }
  if (drawer_ >= 0) {
    auto d = score.find(bots_[static_cast<std::size_t>(drawer_)].user);
    std::int64_t expected = guessed ? total / guessed : 0;
    if (d != score.end() && d->value().as_int64() != expected)
      env_.stats.violation("drawer_score_mismatch");
  }
  // (A drawer that was away for all of its turn never learned its word: nothing to compare.)
  if (!word_.empty() && msg.at("word").as_string() != word_)
    env_.stats.violation("round_end_word_differs");
}

void SkribbleRoomDriver::game_over(const json::object& msg) {
  if (over_seen_) return;
  over_seen_ = true;
  env_.stats.inc("games_completed");
  env_.stats.inc("skribble_games_completed");
  std::int64_t prev = INT64_MAX;
  for (const auto& e : msg.at("ScoreCard").as_array()) {
    const auto& o = e.as_object();
    std::int64_t s = o.at("score").as_int64();
    if (s > prev) env_.stats.violation("score_card_unsorted");
    prev = s;
    if (totals_[std::string(o.at("userId").as_string())] != s)
      env_.stats.violation("score_card_mismatch");
  }
  if (++games_ < env_.options.games_per_room)
    after(env_.options.think_ms, [this] { start_game(); });
  else
    finish();
}

// Drawing messages are nearly all the traffic: timed from their intended send time, checked not
// to come back to the drawer, never parsed.
bool SkribbleRoomDriver::on_timed_frame(int bot, const FramePeek& frame) {
  if (frame.type != "SKRIBBLE_DRAW") return false;
  if (frame.has_t) fanout_.record(monotonic_us() - frame.t);
  if (bot == drawer_) env_.stats.violation("drawing_echoed_to_drawer");
  return true;
}

void SkribbleRoomDriver::on_message(int bot, const json::object& msg, std::string_view raw) {
  if (handle_common(bot, msg)) return;
  const auto& type = msg.at("type").as_string();
  if (type == "START_GAME") {
    if (!started_seen_) {
      started_seen_ = true;
      env_.stats.inc("games_started");
      env_.stats.latency("game_start_latency",
                         std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start_sent_)
                             .count());
    }
  } else if (type == "ROUND_NUMBER") {
    // A turn begins: every bot hears it, so the first copy counts (the drawer may be away,
    // reconnecting, and hear its word later from ROOM_STATE).
    std::string drawer = msg.contains("currentUser") && msg.at("currentUser").is_string()
                             ? std::string(msg.at("currentUser").as_string())
                             : std::string();
    std::string key =
        std::to_string(msg.contains("currentRoundNo") && msg.at("currentRoundNo").is_int64()
                           ? msg.at("currentRoundNo").as_int64()
                           : -1) +
        "/" + drawer;
    if (key != turn_key_) {
      turn_key_ = key;
      for (int i = 0; i < static_cast<int>(bots_.size()); ++i)
        if (bots_[static_cast<std::size_t>(i)].user == drawer) begin_turn(i, "");
    }
  } else if (type == "WORD") {
    if (bot == drawer_) word_ = std::string(msg.at("word").as_string());
  } else if (type == "WORD_LENGTH") {
    if (msg.contains("word")) env_.stats.violation("word_leaked_to_guesser");
  } else if (type == "SECOND_TIMER") {
    if (bot == drawer_ && msg.at("timeRemaining").as_int64() <= 1)
      drawing_ = false;  // the turn ends now
    else if (bot == drawer_ && !drawing_ && msg.at("time").as_int64() <= 1) {
      drawing_ = true;
      draw_t0_ = std::chrono::steady_clock::now();
      draw_tick(turn_, 0);
    }
    on_tick(bot, msg.at("time").as_int64());
  } else if (type == "WORD_MATCHED") {
    std::string who(msg.at("userId").as_string());
    const std::string& me = bots_[static_cast<std::size_t>(bot)].user;
    // Any bot's copy: a bot may be reconnecting (a node restarting) when one is announced.
    matched_.insert(who);
    auto g = guessers_.find(bot);
    bool knows = bot == drawer_ || who == me || (g != guessers_.end() && g->second.sent_right);
    if (msg.contains("word") && !knows) env_.stats.violation("word_leaked_in_word_matched");
  } else if (type == "ROUND_END") {
    drawing_ = false;            // whichever bot hears it first stops the drawer
    if (ended_turn_ != turn_) {  // the first copy, whichever bot got it (some may reconnect)
      ended_turn_ = turn_;
      turn_ended(msg);
    }
  } else if (type == "ROOM_STATE") {
    // A reconnected drawer learns its turn from the state (it missed WORD while away).
    std::string word = msg.contains("word") && msg.at("word").is_string()
                           ? std::string(msg.at("word").as_string())
                           : std::string();
    bool drawing = msg.contains("phase") && msg.at("phase") == "drawing";
    bool mine = msg.contains("drawer") && msg.at("drawer").is_string() &&
                msg.at("drawer").as_string() == bots_[static_cast<std::size_t>(bot)].user;
    if (drawing && mine && !word.empty() && drawer_ == bot) word_ = word;
  } else if (type == "GAME_OVER") {
    game_over(msg);
  }
  (void)raw;
}

}  // namespace roomctl::loadgen
