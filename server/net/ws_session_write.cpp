// WebSocket connection, the send side: the bounded queue, the corked gathered writes at the end
// of a pass, the accounting of queued bytes and the TCP-acknowledged delivery of DM frames (see
// ws_session.hpp; the read side, limits and close are in ws_session.cpp).
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>

#include "server/metrics/server_metrics.hpp"
#include "server/net/shard.hpp"
#include "server/net/ws_session.hpp"
#include "server/protocol/ws_codec.hpp"
#include "server/util/log.hpp"

namespace roomctl::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// One gathered write takes at most this many frames (two iovecs each) and about this many bytes;
// the rest follows in the next write of the same flush.
constexpr std::size_t kMaxFramesPerWrite = 256;
constexpr std::size_t kMaxBytesPerWrite = 256 * 1024;
// A queue that grew past this many slots during a burst gives its memory back once empty (a busy
// connection keeps a smaller one from pass to pass instead of allocating it again each time).
constexpr std::size_t kKeepQueueSlots = 64;
}  // namespace
void WsSession::send(Frame frame) {
  if (shard_.is_current())
    enqueue_here(std::move(frame), nullptr);
  else
    shard_.hand_off(shared_from_this(), std::move(frame));
}

void WsSession::send_then(Frame frame, std::function<void(bool)> done) {
  if (shard_.is_current())
    enqueue_here(std::move(frame), std::move(done));
  else
    shard_.hand_off(shared_from_this(), std::move(frame), std::move(done));
}

void WsSession::close(std::uint16_t code, std::string reason) {
  asio::post(shard_.ioc(), [self = shared_from_this(), code, r = std::move(reason)]() mutable {
    if (code == runtime::close_code::service_restart)
      self->closed_reason_ = "shutdown";
    else if (code == runtime::close_code::replaced)
      self->closed_reason_ = "replaced";
    else if (code == runtime::close_code::kicked)
      self->closed_reason_ = "kicked";
    bool shed = code == runtime::close_code::slow_consumer;
    if (shed) self->closed_reason_ = "send_queue_budget";
    self->start_close(code, std::move(r), shed);
  });
}

// May run inside a caller's lock (a room's broadcast holds the directory's): it only appends.
// Everything that calls back (a refused frame's `done`, the slow-consumer close) is posted.
void WsSession::enqueue_here(Frame frame, std::function<void(bool)> done) {
  auto refuse = [&] {
    if (done) asio::post(shard_.ioc(), [d = std::move(done)] { d(false); });
  };
  if (closing_ || closed_ || overflowed_ || !accepted_) return refuse();
  const auto& l = ctx_.options.limits;
  std::size_t size = frame->size();
  if (static_cast<std::int64_t>(queue_.size() - head_) >= l.send_queue_max_messages ||
      queued_bytes_.load(std::memory_order_relaxed) + static_cast<std::int64_t>(size) >
          l.send_queue_max_bytes) {
    overflowed_ = true;  // nothing more is queued; the close itself runs outside the caller
    refuse();
    asio::post(shard_.ioc(), [self = shared_from_this()] {
      auto& m = self->ctx_.metrics;
      m.slow_consumer_closes.inc();
      m.refusals.with({"send_queue"}).inc();
      log::warn("slow_consumer_closed",
                {{"conn", std::to_string(self->id_)},
                 {"user", self->client_.user},
                 {"queued", std::to_string(self->queue_.size() - self->head_)}});
      if (self->closing_) return;  // closing anyway
      self->closed_reason_ = "slow_consumer";
      self->start_close(runtime::close_code::slow_consumer,
                        "send queue overflow: reading too slowly", true);
    });
    return;
  }
  push(std::move(frame), Item::text);
  if (done) acks_.push_back({wire_queued_, std::move(done)});
}

ws::Opcode WsSession::opcode_of(Item item) {
  switch (item) {
    case Item::ping:
      return ws::Opcode::ping;
    case Item::pong:
      return ws::Opcode::pong;
    case Item::close:
      return ws::Opcode::close;
    default:
      return ws::Opcode::text;
  }
}

void WsSession::push(Frame bytes, Item kind) {
  std::size_t size = bytes->size();
  wire_queued_ += size + (kind == Item::raw ? 0 : ws::server_header_size(size));
  queue_.push_back({std::move(bytes), kind});
  account(static_cast<std::int64_t>(size));
  schedule_flush();
}

void WsSession::schedule_flush() {
  if (flush_wanted_ || writing_ || closed_) return;
  flush_wanted_ = true;
  shard_.want_flush(shared_from_this());
}

// Every change of this connection's queued bytes goes through here: the connection's own count
// (read by the budget shedder from other threads), the server-wide total and its gauge.
void WsSession::account(std::int64_t delta) {
  queued_bytes_.fetch_add(delta, std::memory_order_relaxed);
  ctx_.metrics.send_queue_bytes.add(static_cast<double>(delta));
  auto total = ctx_.queued_bytes.fetch_add(delta, std::memory_order_relaxed) + delta;
  if (delta > 0 && total > ctx_.options.limits.send_queue_total_bytes &&
      !ctx_.shedding.exchange(true))
    asio::post(shard_.ioc(), [&ctx = ctx_] { ctx.shed_send_queues(); });
}

// Writes everything queued in as few writev calls as the kernel takes; waits for writability
// when the socket's send buffer is full.
void WsSession::write_pending() {
  flush_wanted_ = false;
  if (closed_ || writing_) return;
  thread_local iovec iov[2 * kMaxFramesPerWrite];
  thread_local unsigned char headers[kMaxFramesPerWrite][10];
  while (head_ < queue_.size()) {
    std::size_t count = 0, bytes = 0, skip = front_written_;
    for (std::size_t i = head_, f = 0;
         i < queue_.size() && f < kMaxFramesPerWrite && bytes < kMaxBytesPerWrite; ++i, ++f) {
      const auto& p = queue_[i];
      auto add = [&](const void* base, std::size_t len) {
        if (skip >= len) {
          skip -= len;
          return;
        }
        iov[count].iov_base = const_cast<char*>(static_cast<const char*>(base) + skip);
        iov[count].iov_len = len - skip;
        bytes += len - skip;
        skip = 0;
        ++count;
      };
      if (p.kind != Item::raw)
        add(headers[f], ws::server_header(headers[f], opcode_of(p.kind), p.bytes->size()));
      add(p.bytes->data(), p.bytes->size());
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_writable();
      return finish("write_error");
    }
    ctx_.metrics.socket_writes.inc();
    on_written(static_cast<std::size_t>(n));
    if (closed_) return;
    if (static_cast<std::size_t>(n) < bytes) return wait_writable();
  }
  // Emptied before the ack callbacks run: a frame they queue here must not be cleared with it.
  if (queue_.capacity() > kKeepQueueSlots) std::vector<Pending>().swap(queue_);
  queue_.clear();
  head_ = 0;
  front_written_ = 0;
  settle_acks();
  if (!queue_.empty()) return schedule_flush();
  if (close_queued_) {
    // Our close frame is out: done if the peer's came already, else wait for it (bounded by
    // the close deadline the ticker checks). After a protocol error the peer's answer cannot be
    // told from the garbage before it: end our side so that the peer sees the end at once.
    if (peer_closed_) return finish(closed_reason_);
    if (discard_input_) ::shutdown(socket_.native_handle(), SHUT_WR);
  }
}

void WsSession::on_written(std::size_t n) {
  wire_sent_ += n;
  std::size_t frames = 0, payload = 0;
  std::int64_t released = 0;
  std::size_t left = front_written_ + n;
  while (head_ < queue_.size()) {
    auto& p = queue_[head_];
    std::size_t size = p.bytes->size();
    std::size_t wire = size + (p.kind == Item::raw ? 0 : ws::server_header_size(size));
    if (left < wire) break;
    left -= wire;
    if (p.kind == Item::pong) pong_queued_ = false;
    if (p.kind == Item::text) {
      ++frames;
      payload += size;
    }
    released += static_cast<std::int64_t>(size);
    p.bytes.reset();
    ++head_;
  }
  front_written_ = left;
  if (released) account(-released);
  if (frames) {
    ctx_.metrics.messages_out.inc(static_cast<double>(frames));
    ctx_.metrics.bytes_out.inc(static_cast<double>(payload));
  }
}

void WsSession::wait_writable() {
  // A peer that reads about as fast as frames arrive never lets the queue empty: drop the
  // written slots now and then so that they do not pile up.
  if (head_ >= kKeepQueueSlots && head_ * 2 >= queue_.size()) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(head_));
    head_ = 0;
  }
  writing_ = true;
  socket_.async_wait(tcp::socket::wait_write,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->writing_ = false;
                       if (self->closed_) return;
                       if (ec) return self->finish("write_error");
                       self->write_pending();
                     });
}

// Calls done(true) for every waiting frame the peer's TCP stack has acknowledged: our bytes not
// yet acknowledged are at most what the kernel still holds (SIOCOUTQ).
void WsSession::settle_acks() {
  if (acks_.empty()) return;
  int outq = 0;
  if (ioctl(socket_.native_handle(), SIOCOUTQ, &outq) != 0) return;
  auto in_flight = static_cast<std::uint64_t>(std::max(outq, 0));
  std::uint64_t acked = wire_sent_ > in_flight ? wire_sent_ - in_flight : 0;
  std::size_t settled = 0;
  while (settled < acks_.size() && acks_[settled].wire_end <= acked) ++settled;
  if (settled == 0) return;
  std::vector<Ack> done(std::make_move_iterator(acks_.begin()),
                        std::make_move_iterator(acks_.begin() + static_cast<long>(settled)));
  acks_.erase(acks_.begin(), acks_.begin() + static_cast<long>(settled));
  for (auto& a : done) a.done(true);
}

// Frames whose delivery somebody waits for and that the peer did not acknowledge: their senders'
// fallbacks (the DM queue) take them back.
void WsSession::fail_unsent_acks() {
  auto never = std::move(acks_);
  acks_.clear();
  for (auto& a : never) a.done(false);
}

}  // namespace roomctl::net
