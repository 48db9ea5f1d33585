// WebSocket connection, the read side and the lifecycle: the upgrade answer, admission limits,
// reading and framing, validation, keep-alive and timeouts, orderly close (the send side is in
// ws_session_write.cpp).
#include "server/net/ws_session.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
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
// A long burst from one peer is read at most this many times per wake-up (fairness); what is
// left wakes the connection again at once.
constexpr int kReadsPerWakeup = 4;

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

void WsSession::start(std::string handshake, std::string proven_user, std::string early) {
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
  push(make_frame(std::move(handshake)), Item::raw);
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
