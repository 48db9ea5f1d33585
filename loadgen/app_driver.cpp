// App bots.
#include "loadgen/app_driver.hpp"

#include <boost/json.hpp>

#include "loadgen/bot_token.hpp"
#include "loadgen/clock.hpp"
#include "loadgen/frame_peek.hpp"

namespace roomctl::loadgen {

namespace json = boost::json;

AppDriver::AppDriver(DriverEnv env, std::string prefix, int users, std::uint64_t seed)
    : env_(std::move(env)),
      prefix_(std::move(prefix)),
      rng_(seed),
      users_(users),
      dm_latency_(env_.stats.histogram("dm_latency")),
      dm_sent_(&env_.stats.slot("dm_sent")),
      dm_sent_offline_(&env_.stats.slot("dm_sent_offline")),
      dm_received_(&env_.stats.slot("dm_received")) {}

std::size_t AppDriver::connections() const {
  std::size_t n = 0;
  for (const auto& b : bots_) n += b && b->is_open() ? 1 : 0;
  return n;
}

void AppDriver::connect(std::size_t bot, const std::string& user,
                        std::function<void(std::shared_ptr<BotConnection>)> ready) {
  auto conn = std::make_shared<BotConnection>(env_.ioc, env_.stats, env_.target(bot),
                                              env_.source_ip(), env_.options.connect_timeout_ms);
  conn->query = bot_upgrade_query(env_.options, user);
  conn->connect([conn, user, ready](bool ok) {
    if (!ok) return ready(nullptr);  // counted as an error by the connection
    conn->send(json::serialize(
        json::object{{"EventFrom", "App"}, {"type", "app_opened"}, {"userId", user}}));
    ready(conn);
  });
}

void AppDriver::start() {
  bots_.resize(static_cast<std::size_t>(users_));
  server_reconnects_.resize(static_cast<std::size_t>(users_));
  for (int i = 0; i < users_; ++i) attach(i);
  timer_ = std::make_shared<boost::asio::steady_timer>(env_.ioc);
  tick();
}

// User i's connection. Closed by a node restarting (1012) or lost with its node (1006), it
// comes back a few times with the same user, as the app does: its queue is delivered again.
void AppDriver::attach(int i) {
  std::weak_ptr<AppDriver> weak = shared_from_this();
  connect(static_cast<std::size_t>(i), prefix_ + "-app-" + std::to_string(i),
          [weak, i](std::shared_ptr<BotConnection> c) {
            auto self = weak.lock();
            if (!self || !c) return;
            c->on_message = [weak, i](std::string_view raw) {
              if (auto s = weak.lock()) s->on_message(i, raw);
            };
            c->on_close = [weak, i](std::uint16_t code) {
              auto self = weak.lock();
              if (!self || self->stopping_) return;
              int& tries = self->server_reconnects_[static_cast<std::size_t>(i)];
              if (tries >= 5 || (code != 1012 && code != 1006 && code != 4004)) return;
              ++tries;
              self->env_.stats.inc("server_reconnects");
              auto t = std::make_shared<boost::asio::steady_timer>(self->env_.ioc,
                                                                   std::chrono::milliseconds(200));
              t->async_wait([weak, i, t](boost::system::error_code ec) {
                if (auto s = weak.lock(); s && !ec && !s->stopping_) s->attach(i);
              });
            };
            self->bots_[static_cast<std::size_t>(i)] = std::move(c);
          });
}

void AppDriver::tick() {
  if (stopping_) return;
  timer_->expires_after(std::chrono::milliseconds(env_.options.dm_interval_ms));
  std::weak_ptr<AppDriver> weak = shared_from_this();
  timer_->async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping_) return;
    ++self->ticks_;
    std::uniform_int_distribution<int> pick(0, self->users_ - 1);
    for (int i = 0; i < self->users_; ++i) {
      auto& b = self->bots_[static_cast<std::size_t>(i)];
      if (!b || !b->is_open()) continue;
      std::string me = self->prefix_ + "-app-" + std::to_string(i);
      bool offline = (self->ticks_ + static_cast<std::uint64_t>(i)) % 4 == 0;
      std::string to = offline ? self->prefix_ + "-offline-" + std::to_string(i % 3)
                               : self->prefix_ + "-app-" + std::to_string(pick(self->rng_));
      // Written directly, not through a DOM: the direct messages are most of this traffic.
      std::string dm = R"({"EventFrom":"AppChatMessaging","type":"chat","userId":")";
      dm.append(me).append(R"(","receiverID":")").append(to).append(R"(","ts":)");
      dm.append(std::to_string(monotonic_us())).append("}");
      b->send(dm);
      ++*(offline ? self->dm_sent_offline_ : self->dm_sent_);
      if (offline) ++self->queued_sent_;
      if ((self->ticks_ + static_cast<std::uint64_t>(i)) % 5 == 0) {
        std::string friend_id = self->prefix_ + "-app-" + std::to_string(pick(self->rng_));
        b->send(json::serialize(json::object{{"EventFrom", "Friend"},
                                             {"type", "request"},
                                             {"senderUserId", me},
                                             {"receiverUserId", friend_id},
                                             {"senderName", me}}));
        self->env_.stats.inc("friend_requests_sent");
      }
    }
    self->tick();
  });
}

void AppDriver::on_message(int bot, std::string_view raw) {
  FramePeek peek;
  if (peek_frame(raw, peek) && peek.type == "chat" && peek.has_t) {  // the fast path
    dm_latency_.record(monotonic_us() - peek.t);
    ++*dm_received_;
    return;
  }
  boost::system::error_code ec;
  auto v = json::parse(raw, ec);
  if (ec || !v.is_object()) return;
  const auto& o = v.as_object();
  auto type = o.at("type").as_string();
  if (type == "chat") {
    if (auto t = o.find("ts"); t != o.end() && t->value().is_int64())
      env_.stats.latency("dm_latency", monotonic_us() - t->value().get_int64());
    env_.stats.inc("dm_received");
  } else if (type == "friend_request") {
    env_.stats.inc("friend_requests_received");
    bots_[static_cast<std::size_t>(bot)]->send(
        json::serialize(json::object{{"EventFrom", "Friend"},
                                     {"type", "accept"},
                                     {"reciverUserId", o.at("reciverUserId")},
                                     {"senderUserId", o.at("senderUserId")}}));
  } else if (type == "friend_accept") {
    env_.stats.inc("friend_accepts_received");
  } else if (type == "error") {
    std::string code = o.contains("code") ? std::string(o.at("code").as_string()) : "error";
    if (code == "dm_queue_full") {  // documented behaviour of a full queue, not a failure
      ++queue_refused_;
      env_.stats.inc("expected_refusals");
      return;
    }
    env_.stats.error(code);
  }
}

void AppDriver::finish(std::function<void()> done) {
  stopping_ = true;
  if (timer_) timer_->cancel();
  for (auto& b : bots_)
    if (b) b->close();
  // Collect the offline queues: every message queued for an offline user must arrive.
  auto self = shared_from_this();
  int readers = std::min(users_, 3);
  if (queued_sent_ == 0 || readers == 0) return done();
  auto pending = std::make_shared<int>(readers);
  // Give the server a moment to process the DMs still in flight on the closing connections.
  auto settle =
      std::make_shared<boost::asio::steady_timer>(env_.ioc, std::chrono::milliseconds(300));
  settle->async_wait([self, settle, pending, readers, done](boost::system::error_code) {
    for (int k = 0; k < readers; ++k) {
      self->connect(static_cast<std::size_t>(k), self->prefix_ + "-offline-" + std::to_string(k),
                    [self, pending, done](std::shared_ptr<BotConnection> c) {
                      if (!c) {  // the server is gone: what it queued cannot be checked
                        self->unreadable_ = true;
                        if (--*pending == 0) done();
                        return;
                      }
                      c->on_message = [self](std::string_view raw) {
                        if (raw.find("\"queued_message\"") != std::string_view::npos) {
                          ++self->queued_received_;
                          self->env_.stats.inc("dm_queued_received");
                        }
                      };
                      self->offline_readers_.push_back(c);
                      auto t = std::make_shared<boost::asio::steady_timer>(self->env_.ioc,
                                                                           std::chrono::seconds(1));
                      t->async_wait([self, t, c, pending, done](boost::system::error_code) {
                        c->close();
                        if (--*pending == 0) {
                          if (!self->unreadable_ &&
                              self->queued_received_ + self->queue_refused_ < self->queued_sent_)
                            self->env_.stats.violation("queued_dm_lost");
                          done();
                        }
                      });
                    });
    }
  });
}

}  // namespace roomctl::loadgen
