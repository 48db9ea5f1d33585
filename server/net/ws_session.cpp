// WebSocket connection: framing, limits, validation, the corked send queue and orderly close.
#include "server/net/ws_session.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>

#include "server/metrics/server_metrics.hpp"
#include "server/net/shard.hpp"
#include "server/protocol/envelope.hpp"
#include "server/protocol/ws_codec.hpp"
#include "server/runtime/abuse_limits.hpp"
#include "server/runtime/dispatcher.hpp"
#include "server/util/clock.hpp"
#include "server/util/log.hpp"

namespace roomctl::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// One gathered write takes at most this many frames (two iovecs each) and about this many bytes;
// the rest follows in the next write of the same flush.
constexpr std::size_t kMaxFramesPerWrite = 256;
constexpr std::size_t kMaxBytesPerWrite = 256 * 1024;
// A long burst from one peer is read at most this many times per wake-up (fairness); what is
// left wakes the connection again at once.
constexpr int kReadsPerWakeup = 4;
// A queue that grew past this many slots during a burst gives its memory back once empty (a busy
// connection keeps a smaller one from pass to pass instead of allocating it again each time).
constexpr std::size_t kKeepQueueSlots = 64;

const Frame& empty_frame() {
  static const Frame f = make_frame("");
  return f;
}
}  // namespace

std::atomic<std::int64_t> WsSession::live_sessions{0};

WsSession::WsSession(tcp::socket&& socket, Shard& shard, ServerContext& ctx, HandshakeSlot slot)
    : socket_(std::move(socket)),
      shard_(shard),
      ctx_(ctx),
      id_(ctx.next_connection_id.fetch_add(1)),
      slot_(std::move(slot)),
      last_input_ms_(mono_now_ms()),
      tokens_(static_cast<double>(ctx.options.limits.message_burst)),
      last_refill_ms_(last_input_ms_),
      reader_(static_cast<std::size_t>(ctx.options.limits.max_message_bytes)) {
  live_sessions.fetch_add(1, std::memory_order_relaxed);
}

// Counted outside the metrics: sessions can outlive them when the io_context destroys its last
// handlers at exit.
WsSession::~WsSession() {
  live_sessions.fetch_sub(1, std::memory_order_relaxed);
}

void WsSession::start(std::string accept_key, std::string proven_user, std::string early) {
  client_.proven_user = std::move(proven_user);
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) client_.address = remote.address().to_string();
  socket_.non_blocking(true, ec);
  // The shard's ticker holds a raw pointer from here to finish(): the session keeps itself alive
  // for that long, whatever else still holds it.
  shard_.attach(this);
  keep_alive_ = shared_from_this();
  accepted_ = true;
  push(make_frame("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                  accept_key + "\r\nServer: roomctl\r\n\r\n"),
       Item::raw);
  admit();
  if (!early.empty()) consume(early.data(), early.size());
  // Armed even after a protocol error in the early bytes: the peer's end must still be seen.
  wait_readable();
}

// The connection limits, checked once the upgrade is answered (a refusal is a close frame the
// client can read, not a reset).
// A refused connection keeps its pending-handshake slot until it is gone, so that refused
// sockets count against the listener's limits, and gets a short close deadline.
void WsSession::admit() {
  auto& m = ctx_.metrics;
  auto refuse = [&](const char* reason, std::uint16_t code, const char* text) {
    closed_reason_ = reason;
    start_close(code, text, true);
    close_deadline_ms_ =
        mono_now_ms() + std::min<std::int64_t>(1000, ctx_.options.handshake_timeout_ms);
  };
  // Counted first, then checked: shards admitting at the same moment cannot overshoot the limit.
  if (ctx_.open_connections.fetch_add(1) >= ctx_.options.limits.max_connections) {
    --ctx_.open_connections;
    m.refusals.with({"max_connections"}).inc();
    return refuse("max_connections", runtime::close_code::try_again_later,
                  "server is at its connection limit");
  }
  if (ctx_.shutting_down.load()) {
    --ctx_.open_connections;
    return refuse("shutdown", runtime::close_code::service_restart, "server is shutting down");
  }
  if (!ctx_.abuse.connection_opened(client_.address)) {
    --ctx_.open_connections;
    return refuse("connections_per_address", runtime::close_code::policy_violation,
                  "too many connections from this address (abuse.connections_per_address)");
  }
  slot_.release();
  address_counted_ = true;
  m.connections.add(1);
  m.connections_opened.inc();
  client_.outbox = shared_from_this();
  std::lock_guard lock(ctx_.connections_mutex);
  ctx_.connections[id_] = weak_from_this();
}

void WsSession::wait_readable() {
  if (reading_ || closed_) return;
  reading_ = true;
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->reading_ = false;
                       if (self->closed_) return;
                       if (ec) return self->finish(self->closed_reason_);
                       self->on_readable();
                     });
}

void WsSession::on_readable() {
  char* buf = shard_.read_buffer();
  const std::size_t cap = shard_.read_buffer_size();
  for (int round = 0; round < kReadsPerWakeup; ++round) {
    ssize_t n = ::recv(socket_.native_handle(), buf, cap, 0);
    if (n > 0) {
      last_input_ms_ = mono_now_ms();
      ping_sent_ = false;
      if (!discard_input_ && !consume(buf, static_cast<std::size_t>(n)) && !discard_input_) return;
      if (closed_) return;
      if (static_cast<std::size_t>(n) < cap) break;  // the socket is drained
      continue;
    }
    if (n == 0) return finish(closed_reason_);  // the peer closed its side
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return finish(closed_reason_);
  }
  wait_readable();
}

// Hands what a read returned to the message reader; false when the connection finished or must
// read no more.
bool WsSession::consume(char* data, std::size_t size) {
  if (auto error = reader_.feed(data, size, *this)) {
    if (error->close_code == 1009) ctx_.metrics.refusals.with({"message_size"}).inc();
    protocol_close(error->close_code, error->reason, error->label);
    return false;
  }
  return reader_.active() && !closed_;
}

bool WsSession::on_message(ws::MessageReader::Kind kind, std::string_view payload) {
  using Kind = ws::MessageReader::Kind;
  switch (kind) {
    case Kind::ping:
      // At most one pong waits (RFC 6455 §5.5.3 allows answering only the latest ping): a ping
      // flood from a peer that does not read cannot grow the queue.
      if (!closing_ && !pong_queued_) {
        pong_queued_ = true;
        push(make_frame(std::string(payload)), Item::pong);
      }
      return true;
    case Kind::pong:
      return true;
    case Kind::close: {
      peer_closed_ = true;
      if (close_queued_) {
        // The answer to our close: done once our close frame is out (write_pending finishes
        // then), so that the peer still reads our code and what came before it.
        if (head_ == queue_.size() && !writing_) finish(closed_reason_);
        return false;
      }
      // The peer closes first: answer with its code once what is being written is out. A code
      // no endpoint may send (or a one-byte payload) is a protocol error.
      auto code = ws::close_code(payload);
      bool valid =
          payload.size() != 1 && (code == 1005 || (code >= 1000 && code <= 1003) ||
                                  (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999));
      if (!valid) {
        protocol_close(1002, "invalid close code", "protocol_error");
        return false;
      }
      start_close(code == 1005 ? 1000 : code, "", true);
      return true;
    }
    case Kind::binary:
      if (closing_) return true;
      ctx_.metrics.refusals.with({"binary_frame"}).inc();
      ctx_.dispatcher.reply_error(client_, "binary_frame",
                                  "only text frames carrying JSON are accepted");
      closed_reason_ = "binary_frame";
      start_close(runtime::close_code::unsupported_data, "binary frames are not supported", false);
      return true;
    case Kind::text:
      if (!closing_) handle_text(payload);
      return !closed_;
  }
  return true;
}

// The peer broke the protocol: what it sends from now on cannot be framed, so it is read and
// dropped until it closes or the close deadline passes (a peer still writing a huge message
// then sees our close frame once it reads again).
void WsSession::protocol_close(std::uint16_t code, const char* reason, const char* why) {
  if (!closing_) closed_reason_ = why;
  discard_input_ = true;
  start_close(code, reason, true);
  // Our close frame may be out already (the error came while closing): end our side now.
  if (head_ == queue_.size() && !writing_ && !flush_wanted_)
    ::shutdown(socket_.native_handle(), SHUT_WR);
}

bool WsSession::take_token() {
  auto now = last_input_ms_;
  const auto& l = ctx_.options.limits;
  tokens_ = std::min<double>(
      static_cast<double>(l.message_burst),
      tokens_ + static_cast<double>(now - last_refill_ms_) * l.messages_per_second / 1000.0);
  last_refill_ms_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void WsSession::handle_text(std::string_view text) {
  auto& m = ctx_.metrics;
  m.bytes_in.inc(static_cast<double>(text.size()));
  if (!take_token()) {
    m.refusals.with({"message_rate"}).inc();
    // A client that keeps flooding after being told is abusive: close it instead of answering.
    if (++refusals_in_row_ > ctx_.options.limits.message_burst) {
      closed_reason_ = "rate_limit_abuse";
      start_close(runtime::close_code::policy_violation, "message rate limit exceeded", false);
      return;
    }
    if (refusals_in_row_ == 1)
      ctx_.dispatcher.reply_error(client_, "rate_limited", "too many messages; slow down");
    return;
  }
  refusals_in_row_ = 0;

  auto started = std::chrono::steady_clock::now();
  auto parsed = protocol::parse_envelope(text, ctx_.dispatcher.envelope_limits());
  if (!parsed.ok) {
    ctx_.dispatcher.reply_error(client_, parsed.error_code, parsed.error_message);
  } else {
    ctx_.dispatcher.handle(client_, parsed.envelope, make_frame(std::string(text)));
  }
  m.message_handling.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

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

void WsSession::start_close(std::uint16_t code, std::string reason, bool drop_pending) {
  if (closing_ || closed_) return;
  closing_ = true;
  if (drop_pending) {
    // Keep only a frame already partly written: the stream must stay well framed.
    // The upgrade's answer is never dropped: the close frame must follow it.
    std::size_t keep = head_ + (front_written_ > 0 ? 1 : 0);
    std::int64_t dropped = 0;
    auto end = std::remove_if(queue_.begin() + static_cast<long>(keep), queue_.end(),
                              [&](const Pending& p) {
                                if (p.kind == Item::raw) return false;
                                std::size_t size = p.bytes->size();
                                dropped += static_cast<std::int64_t>(size);
                                wire_queued_ -= size + ws::server_header_size(size);
                                return true;
                              });
    queue_.erase(end, queue_.end());
    if (dropped) account(-dropped);
    // What was dropped will never be written.
    std::vector<std::function<void(bool)>> lost;
    while (!acks_.empty() && acks_.back().wire_end > wire_queued_) {
      lost.push_back(std::move(acks_.back().done));
      acks_.pop_back();
    }
    for (auto& d : lost) d(false);
  }
  push(make_frame(ws::close_payload(code, reason)), Item::close);
  close_queued_ = true;
  close_deadline_ms_ = mono_now_ms() + ctx_.options.handshake_timeout_ms;
  // Offline at once, not after the close handshake (a slow reader may take a minute to finish
  // it): its rooms see the disconnect and its direct messages go to the queue from now on.
  go_offline();
}

void WsSession::on_tick(std::int64_t now) {
  if (closed_) return;
  if (close_queued_) {
    if (now >= close_deadline_ms_) finish(closed_reason_);
    return;
  }
  if (!acks_.empty()) settle_acks();  // the peer's TCP acks arrive without an event here
  auto idle = ctx_.options.idle_timeout_ms;
  if (idle <= 0 || closing_) return;
  auto quiet = now - last_input_ms_;
  if (quiet >= idle) {
    closed_reason_ = "timeout";
    return finish("timeout");
  }
  if (quiet >= idle / 2 && !ping_sent_) {
    ping_sent_ = true;
    push(empty_frame(), Item::ping);
  }
}

void WsSession::finish(const char* reason) {
  if (closed_) return;
  // Alive until this returns (the ticker's and the connection's own references end here).
  auto self = std::move(keep_alive_);
  closed_ = true;
  closing_ = true;
  shard_.detach(this);
  slot_.release();
  // What the peer acknowledged was delivered; the rest dies with the socket.
  settle_acks();
  boost::system::error_code ignored;
  socket_.close(ignored);
  fail_unsent_acks();
  std::int64_t pending = 0;
  for (std::size_t i = head_; i < queue_.size(); ++i)
    pending += static_cast<std::int64_t>(queue_[i].bytes->size());
  std::vector<Pending>().swap(queue_);
  head_ = 0;
  if (pending) account(-pending);
  if (address_counted_) ctx_.abuse.connection_closed(client_.address);
  address_counted_ = false;
  if (!client_.outbox) return;  // never admitted
  ctx_.metrics.connections_closed.with({reason}).inc();
  ctx_.metrics.connections.add(-1);
  --ctx_.open_connections;
  {
    std::lock_guard lock(ctx_.connections_mutex);
    ctx_.connections.erase(id_);
  }
  go_offline();
  client_.outbox.reset();       // drops the self-reference; handlers in flight keep us alive
  client_.dm_delivery.reset();  // it holds this connection too
}

void WsSession::go_offline() {
  if (offline_ || !client_.outbox) return;
  offline_ = true;
  ctx_.dispatcher.on_close(client_);
}

}  // namespace roomctl::net
