// Shards: one io_context per thread, the end-of-pass flush, the cross-thread mailbox, the ticker.
#include "server/net/shard.hpp"

#include <boost/asio/post.hpp>

#include "server/net/ws_session.hpp"
#include "server/util/clock.hpp"

namespace roomctl::net {

namespace asio = boost::asio;

namespace {
thread_local Shard* current_shard = nullptr;
// One read of a socket takes at most this much; a longer burst is read again in the same pass.
constexpr std::size_t kReadBufferBytes = 64 * 1024;
}  // namespace

Shard::Shard(int index) : index_(index), ticker_(ioc_), read_buffer_(kReadBufferBytes) {}

Shard* Shard::current() {
  return current_shard;
}

void Shard::run() {
  current_shard = this;
  // Work guard: the shard's loop keeps running while it has nothing to do, until stop().
  auto guard = asio::make_work_guard(ioc_);
  ioc_.run();
  current_shard = nullptr;
}

void Shard::want_flush(std::shared_ptr<WsSession> session) {
  dirty_.push_back(std::move(session));
  if (flush_posted_) return;
  flush_posted_ = true;
  // Posted behind every handler already queued in this pass, so that what they queue leaves in
  // the same write.
  asio::post(ioc_, [this] { flush(); });
}

void Shard::flush() {
  flush_posted_ = false;
  flushing_.swap(dirty_);
  for (auto& s : flushing_) s->write_pending();
  flushing_.clear();
}

void Shard::hand_off(std::shared_ptr<WsSession> session, Frame frame,
                     std::function<void(bool)> done) {
  bool post = false;
  {
    std::lock_guard lock(mailbox_mutex_);
    mailbox_.push_back({std::move(session), std::move(frame), std::move(done)});
    if (!drain_posted_) post = drain_posted_ = true;
  }
  if (post) asio::post(ioc_, [this] { drain_mailbox(); });
}

void Shard::drain_mailbox() {
  {
    std::lock_guard lock(mailbox_mutex_);
    draining_.swap(mailbox_);
    drain_posted_ = false;
  }
  for (auto& h : draining_) h.session->enqueue_here(std::move(h.frame), std::move(h.done));
  draining_.clear();
}

void Shard::attach(WsSession* session) {
  session->set_tick_slot(sessions_.size());
  sessions_.push_back(session);
}

// O(1): the last session takes the leaving one's slot.
void Shard::detach(WsSession* session) {
  auto slot = session->tick_slot();
  if (slot >= sessions_.size() || sessions_[slot] != session) return;
  sessions_[slot] = sessions_.back();
  sessions_[slot]->set_tick_slot(slot);
  sessions_.pop_back();
  session->set_tick_slot(static_cast<std::size_t>(-1));
}

void Shard::start_ticker(std::int64_t interval_ms) {
  tick_ms_ = interval_ms;
  ticker_.expires_after(std::chrono::milliseconds(tick_ms_));
  ticker_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

// Each open connection checks its deadlines: O(connections of this shard) once per tick, a few
// nanoseconds each, instead of one armed timer per connection.
void Shard::tick() {
  auto now = mono_now_ms();
  // A session may close (and detach) during its check: walk backwards so that the session moved
  // into a freed slot has already been seen.
  for (std::size_t i = sessions_.size(); i-- > 0;)
    if (i < sessions_.size()) sessions_[i]->on_tick(now);
  start_ticker(tick_ms_);
}

Shards::Shards(int count) {
  for (int i = 0; i < std::max(1, count); ++i) shards_.push_back(std::make_unique<Shard>(i));
}

Shard& Shards::next() {
  return *shards_[next_.fetch_add(1, std::memory_order_relaxed) % shards_.size()];
}

Shard& Shards::for_new_room() {
  if (auto* s = Shard::current()) return *s;
  return next();
}

void Shards::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < shards_.size(); ++i)
    threads.emplace_back([s = shards_[i].get()] { s->run(); });
  shards_[0]->run();
  for (auto& t : threads) t.join();
}

void Shards::stop() {
  for (auto& s : shards_) s->stop();
}

}  // namespace roomctl::net
