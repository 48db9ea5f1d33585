// Room driver plumbing: connections, create/join bookkeeping, faults and shutdown.
#include "loadgen/room_driver.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "loadgen/bot_token.hpp"

namespace roomctl::loadgen {

namespace json = boost::json;

RoomDriver::RoomDriver(DriverEnv env, std::string room_id, std::string user_prefix, int players,
                       std::uint64_t seed)
    : env_(std::move(env)), room_id_(std::move(room_id)), rng_(seed) {
  for (int i = 0; i < players; ++i)
    bots_.push_back({user_prefix + "-" + std::to_string(i), nullptr, {}});
}

void RoomDriver::start() {
  env_.stats.inc("rooms_started");
  for (int i = 0; i < static_cast<int>(bots_.size()); ++i) connect(i, false);
}

std::size_t RoomDriver::connections() const {
  std::size_t n = 0;
  for (const auto& b : bots_) n += b.conn && b.conn->is_open() ? 1 : 0;
  return n;
}

void RoomDriver::connect(int bot, bool reconnect) {
  auto conn = std::make_shared<BotConnection>(env_.ioc, env_.stats,
                                              env_.target(static_cast<std::size_t>(bot)),
                                              env_.source_ip(), env_.options.connect_timeout_ms);
  conn->query = bot_upgrade_query(env_.options, bots_[bot].user);
  bots_[bot].conn = conn;
  std::weak_ptr<RoomDriver> weak = shared_from_this();
  conn->on_message = [weak, bot](std::string_view text) {
    auto self = weak.lock();
    if (!self) return;
    FramePeek peek;
    if (!peek_frame(text, peek)) return self->env_.stats.violation("invalid_json_from_server");
    if (peek.has_room_id && peek.room_id != self->room_id_)
      return self->env_.stats.violation("message_from_another_room");
    if (self->on_timed_frame(bot, peek)) return;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return self->env_.stats.violation("invalid_json_from_server");
    const auto& o = v.as_object();
    if (auto t = o.find("type"); t != o.end() && t->value() == "error") {
      auto c = o.find("code");
      std::string code =
          c != o.end() && c->value().is_string() ? std::string(c->value().get_string()) : "error";
      if (self->expected_error(bot, code))
        self->env_.stats.inc("expected_refusals");
      else
        self->env_.stats.error(code);
    }
    self->on_message(bot, o, text);
  };
  conn->on_close = [weak, bot](std::uint16_t code) {
    if (auto self = weak.lock()) self->closed(bot, code);
  };
  conn->connect([weak, bot, reconnect](bool ok) {
    auto self = weak.lock();
    if (!self) return;
    if (!ok) {
      self->env_.stats.inc("disconnects");
      self->connect_failed_ = true;
      self->finish();  // the room cannot be played without this player
      return;
    }
    ++self->open_;
    if (reconnect) {
      self->env_.stats.inc("reconnects");
      self->send(bot, {{"EventFrom", "App"}, {"type", "app_opened"}});
      self->on_reconnected(bot);
      return;
    }
    if (bot == 0) self->create_room();
  });
}

void RoomDriver::send(int bot, json::object o) {
  auto& b = bots_[static_cast<std::size_t>(bot)];
  if (!b.conn) return;
  o["userId"] = b.user;
  if (!o.contains("roomId")) o["roomId"] = room_id_;
  b.conn->send(json::serialize(o));
}

void RoomDriver::send_text(int bot, std::string text) {
  auto& b = bots_[static_cast<std::size_t>(bot)];
  if (!b.conn || text.empty() || text.back() != '}') return;
  text.pop_back();
  text.append(",\"userId\":\"").append(b.user).append("\",\"roomId\":\"");
  text.append(room_id_).append("\"}");
  b.conn->send(text);
}

void RoomDriver::after(std::int64_t ms, std::function<void()> fn) {
  auto t = std::make_shared<boost::asio::steady_timer>(env_.ioc, std::chrono::milliseconds(ms));
  std::weak_ptr<RoomDriver> weak = shared_from_this();
  t->async_wait([t, weak, fn = std::move(fn)](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self && !self->finished_) fn();
  });
}

bool RoomDriver::handle_common(int bot, const json::object& msg) {
  const auto& type = msg.at("type").as_string();
  if (type == "create_room_response" && bot == 0) {
    if (!msg.at("status").as_bool()) {
      env_.stats.error("create_refused");
      finish();
      return true;
    }
    ++joined_;
    for (int i = 1; i < static_cast<int>(bots_.size()); ++i) {
      bots_[static_cast<std::size_t>(i)].join_sent = std::chrono::steady_clock::now();
      join(i);
    }
    if (bots_.size() == 1) all_joined();
    return true;
  }
  if (type == "join_room_response") {
    if (!msg.at("status").as_bool()) {
      env_.stats.error("join_refused");
      return true;
    }
    auto& b = bots_[static_cast<std::size_t>(bot)];
    if (b.join_sent.time_since_epoch().count() != 0) {
      env_.stats.latency("join_latency", std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - b.join_sent)
                                             .count());
      b.join_sent = {};
      if (++joined_ == static_cast<int>(bots_.size())) all_joined();
    }
    return true;
  }
  return false;
}

void RoomDriver::storm(double fraction) {
  std::bernoulli_distribution pick(fraction);
  for (int i = 0; i < static_cast<int>(bots_.size()); ++i) {
    auto& b = bots_[static_cast<std::size_t>(i)];
    if (!b.conn || !b.conn->is_open() || !pick(rng_)) continue;
    b.conn->on_close = nullptr;  // this close is ours
    b.conn->drop();
    --open_;
    connect(i, true);
  }
}

void RoomDriver::slow_readers(double fraction, std::int64_t pause_ms) {
  std::bernoulli_distribution pick(fraction);
  for (auto& b : bots_)
    if (b.conn && b.conn->is_open() && pick(rng_)) b.conn->pause_reading(pause_ms);
}

void RoomDriver::finish() {
  if (finishing_) return;
  finishing_ = true;
  for (auto& b : bots_)
    if (b.conn && b.conn->is_open()) b.conn->close();
  if (open_ <= 0 && !finished_) {
    finished_ = true;
    if (on_finished) on_finished();
  }
}

void RoomDriver::closed(int bot, std::uint16_t code) {
  --open_;
  // A node restarting (1012), a room that moved between nodes (4004) or a node that died under
  // the bot (1006): a real client reconnects with its userId, through the load balancer, and
  // takes its seat back; so does the bot (a few times, after a short pause).
  auto& b = bots_[static_cast<std::size_t>(bot)];
  if (!finishing_ && (code == 1012 || code == 4004 || code == 1006) && b.server_reconnects < 5) {
    ++b.server_reconnects;
    env_.stats.inc("server_reconnects");
    after(100 + 50 * bot % 400, [this, bot] { connect(bot, true); });
    return;
  }
  if (!finishing_) {
    env_.stats.inc("disconnects");
    env_.stats.error("closed_" + std::to_string(code));
  }
  if (finishing_ && open_ <= 0 && !finished_) {
    finished_ = true;
    if (on_finished) on_finished();
  } else if (!finishing_) {
    finish();  // a room that lost a player for good is abandoned
  }
}

}  // namespace roomctl::loadgen
