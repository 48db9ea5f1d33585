// Room actor: executor, timer, effect application.
#include "server/runtime/room.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/json/serialize.hpp>

#include "server/metrics/server_metrics.hpp"
#include "server/protocol/replies.hpp"
#include "server/runtime/presence.hpp"
#include "server/runtime/room_registry.hpp"
#include "server/runtime/user_directory.hpp"

namespace roomctl::runtime {

namespace asio = boost::asio;

// The room's executor is its shard's io_context, which one thread runs: posting there is enough
// to serialise the room's steps (no strand).
struct Room::Exec {
  explicit Exec(asio::io_context& ioc)
      : executor(ioc.get_executor()), timer(ioc), flush_timer(ioc) {}
  asio::io_context::executor_type executor;
  asio::system_timer timer;
  asio::steady_timer flush_timer;
};

Room::Room(asio::io_context& ioc, std::string id, std::string index_key,
           std::unique_ptr<games::Game> game, RoomDeps& deps, Millis now)
    : exec_(std::make_unique<Exec>(ioc)),
      id_(std::move(id)),
      index_key_(std::move(index_key)),
      game_(std::move(game)),
      deps_(deps) {
  info_.game = std::string(game_->game_name());
  frames_metric_ = &deps_.metrics.frames_queued.with({info_.game});
  info_.summary = game_->summary();
  info_.created_at = now;
  info_.last_activity = now;
  live_rooms.fetch_add(1, std::memory_order_relaxed);
}

// Counted outside the metrics: a room can outlive the server's metrics when the io_context
// destroys its last handlers at exit.
std::atomic<std::int64_t> Room::live_rooms{0};

Room::~Room() {
  live_rooms.fetch_sub(1, std::memory_order_relaxed);
}

void Room::post(games::Event event) {
  asio::post(exec_->executor, [self = shared_from_this(), e = std::move(event)]() mutable {
    if (self->removed_ || self->frozen_) return;
    self->run(e, e.kind == games::Event::Kind::message);
  });
}

void Room::start() {
  asio::post(exec_->executor, [self = shared_from_this()] {
    self->publish(self->game_->summary(), false, wall_now_ms());
    self->rearm();
  });
}

void Room::flush(std::function<void()> done, bool force) {
  asio::post(exec_->executor, [self = shared_from_this(), done = std::move(done), force] {
    if (force) self->dirty_ = true;
    if (self->dirty_) self->save_now(force);
    done();
  });
}

// Arms the write-behind timer, or brings it forward: a change that must be durable sooner
// (any game change) overtakes a pending stroke-only flush.
void Room::mark_dirty(Millis delay_ms) {
  auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  if (dirty_ && due >= flush_due_) return;
  dirty_ = true;
  flush_due_ = due;
  exec_->flush_timer.expires_at(due);
  exec_->flush_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->save_now();
  });
}

// Serialises on the room's thread, so the snapshot and the stroke changes taken with it are one
// consistent state. Neither grows with the stroke log: the snapshot leaves it out and the changes
// hold only what was drawn (or undone) since the last save.
void Room::save_now(bool whole_stream) {
  if (!dirty_ || removed_) return;
  dirty_ = false;
  exec_->flush_timer.cancel();
  auto strokes = game_->take_log_changes(whole_stream);
  deps_.save(id_, std::string(game_->game_name()), game_->snapshot_text(), std::move(strokes));
}

void Room::publish(const games::Summary& sum, bool finished, Millis now) {
  {
    std::lock_guard lock(info_mutex_);
    if (finished) info_.finished_at = now;
    if (sum.running) info_.finished_at = 0;
    info_.summary = sum;
  }
  deps_.registry.set_joinable(id_, index_key_, sum.joinable);
  if (deps_.on_summary) deps_.on_summary(id_, index_key_, sum, game_->members());
}

void Room::run(games::Event& event, bool activity) {
  Millis now = wall_now_ms();
  games::Effects fx;
  game_->step(event, now, fx);
  if (activity) {
    ++messages_in_;
    member_activity_[event.user] = now;
    std::lock_guard lock(info_mutex_);
    info_.last_activity = now;
  }
  apply(fx, now);
}

void Room::deliver(const games::Outbound& out) {
  using To = games::Outbound::To;
  if (out.to == To::one) {
    if (deps_.directory.send(out.user, out, &id_)) {
      ++frames_out_;
      frames_metric_->inc();
    }
    return;
  }
  // One buffer per dialect for everyone, queued under one directory lock.
  double n = static_cast<double>(deps_.directory.send_many(
      game_->members(), out, out.to == To::all_but ? &out.user : nullptr, &id_));
  frames_out_ += static_cast<std::uint64_t>(n);
  frames_metric_->inc(n);
  deps_.metrics.fanout_deliveries.inc(n);
}

void Room::apply(games::Effects& fx, Millis now) {
  for (const auto& u : fx.joined) deps_.directory.add_room(u, id_);
  for (const auto& out : fx.out) deliver(out);
  for (const auto& u : fx.left) {
    deps_.directory.remove_room(u, id_);
    member_activity_.erase(u);
  }
  for (const auto& [u, status] : fx.statuses)
    if (deps_.directory.set_status(u, status) && deps_.directory.online(u))
      deps_.presence.status_changed(u);
  for (const auto& u : fx.kicked)
    if (auto c = deps_.directory.connection(u))
      c->close(close_code::kicked, "removed from the room");
  for (const auto& limit : fx.refusals) deps_.metrics.refusals.with({limit}).inc();
  std::string game(game_->game_name());
  if (fx.game_started) {
    deps_.metrics.games_started.with({game}).inc();
    game_started_at_ = now;
  }
  if (!fx.game_finished_outcome.empty()) {
    deps_.metrics.games_finished.with({game, fx.game_finished_outcome}).inc();
    if (game_started_at_)
      deps_.metrics.game_duration.with({game}).observe(static_cast<double>(now - game_started_at_) /
                                                       1000.0);
    game_started_at_ = 0;
  }

  games::Summary sum = game_->summary();
  publish(sum, !fx.game_finished_outcome.empty(), now);
  if (sum.empty) return remove("empty");
  if (fx.changed)
    mark_dirty(deps_.flush_interval_ms);
  else if (fx.strokes_changed)
    mark_dirty(deps_.stroke_flush_interval_ms);
  rearm();
}

void Room::rearm() {
  auto t = game_->timer();
  if (t == armed_) return;
  armed_ = t;
  exec_->timer.cancel();
  if (!t) return;
  exec_->timer.expires_at(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(t->first)));
  exec_->timer.async_wait([self = shared_from_this(), gen = t->second,
                           deadline = t->first](boost::system::error_code ec) {
    if (ec || self->removed_ || self->frozen_) return;
    self->on_timer(gen, deadline);
  });
}

void Room::on_timer(std::uint64_t gen, Millis deadline) {
  armed_.reset();
  Millis now = wall_now_ms();
  deps_.metrics.event_loop_lag.observe(static_cast<double>(std::max<Millis>(0, now - deadline)) /
                                       1000.0);
  games::Event e;
  e.kind = games::Event::Kind::timer;
  e.timer_gen = gen;
  run(e, false);
}

void Room::close(std::string reason) {
  asio::post(exec_->executor, [self = shared_from_this(), reason = std::move(reason)] {
    if (self->removed_) return;
    auto frame = protocol::frame(
        boost::json::object{{"type", "room_closed"}, {"roomId", self->id_}, {"reason", reason}});
    for (const auto& m : self->game_->members()) {
      self->deps_.directory.send(m, frame);
      self->deps_.directory.remove_room(m, self->id_);
      if (self->deps_.directory.set_status(m, games::UserStatus::idle) &&
          self->deps_.directory.online(m))
        self->deps_.presence.status_changed(m);
    }
    self->remove(reason);
  });
}

void Room::abandon() {
  asio::post(exec_->executor, [self = shared_from_this()] {
    if (self->removed_) return;
    for (const auto& m : self->game_->members()) {
      self->deps_.directory.remove_room(m, self->id_);
      if (auto c = self->deps_.directory.connection(m))
        c->close(close_code::room_moved, "the room moved to another node; reconnect");
    }
    self->remove("moved");
  });
}

void Room::freeze(std::function<void()> done) {
  asio::post(exec_->executor, [self = shared_from_this(), done = std::move(done)] {
    if (!self->removed_ && !self->frozen_) {
      self->frozen_ = true;
      self->armed_.reset();
      self->exec_->timer.cancel();
      self->exec_->flush_timer.cancel();
      self->save_now();  // the last state: the new owner starts from exactly this
    }
    done();
  });
}

void Room::thaw() {
  asio::post(exec_->executor, [self = shared_from_this()] {
    if (self->removed_ || !self->frozen_) return;
    self->frozen_ = false;
    self->rearm();
  });
}

void Room::retire() {
  asio::post(exec_->executor, [self = shared_from_this()] {
    if (self->removed_) return;
    for (const auto& m : self->game_->members()) self->deps_.directory.remove_room(m, self->id_);
    self->remove("handed_over");
  });
}

void Room::remove(const std::string& reason) {
  if (removed_) return;
  removed_ = true;
  exec_->timer.cancel();
  exec_->flush_timer.cancel();
  {
    std::lock_guard lock(info_mutex_);
    info_.removed = true;
  }
  deps_.registry.remove(id_);
  deps_.metrics.rooms_removed.with({reason}).inc();
  if (deps_.on_removed) deps_.on_removed(id_, reason);
}

void Room::inspect(bool reveal, std::function<void(boost::json::object)> done) {
  asio::post(exec_->executor, [self = shared_from_this(), reveal, done = std::move(done)] {
    Millis now = wall_now_ms();
    auto info = self->info();
    boost::json::object o = self->game_->inspect(now, reveal);
    if (auto it = o.find("members"); it != o.end()) {
      for (auto& m : it->value().as_array()) {
        auto& mo = m.as_object();
        std::string user(mo.at("userId").as_string());
        auto act = self->member_activity_.find(user);
        mo["lastActivityMs"] = act == self->member_activity_.end() ? info.created_at : act->second;
        mo["online"] = self->deps_.directory.online(user);
      }
    }
    o["roomId"] = self->id_;
    o["game"] = info.game;
    o["createdAtMs"] = info.created_at;
    o["ageMs"] = now - info.created_at;
    o["idleMs"] = now - info.last_activity;
    o["messagesIn"] = self->messages_in_;
    o["framesOut"] = self->frames_out_;
    o["removed"] = self->removed_;
    done(std::move(o));
  });
}

Room::Info Room::info() const {
  std::lock_guard lock(info_mutex_);
  return info_;
}

}  // namespace roomctl::runtime
