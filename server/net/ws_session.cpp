// WebSocket connection: limits, validation, bounded send queue and orderly close.
#include "server/net/ws_session.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>

#include "server/metrics/server_metrics.hpp"
#include "server/protocol/envelope.hpp"
#include "server/protocol/utf8.hpp"
#include "server/runtime/abuse_limits.hpp"
#include "server/runtime/dispatcher.hpp"
#include "server/util/clock.hpp"
#include "server/util/log.hpp"

namespace roomctl::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;

WsSession::WsSession(beast::tcp_stream&& stream, ServerContext& ctx, HandshakeSlot slot)
    : ws_(std::move(stream)),
      ctx_(ctx),
      id_(ctx.next_connection_id.fetch_add(1)),
      slot_(std::move(slot)),
      ack_timer_(ws_.get_executor()),
      tokens_(static_cast<double>(ctx.options.limits.message_burst)),
      last_refill_ms_(mono_now_ms()) {
  live_sessions.fetch_add(1, std::memory_order_relaxed);
}

// Counted outside the metrics: sessions can outlive them when the io_context destroys its last
// handlers at exit.
std::atomic<std::int64_t> WsSession::live_sessions{0};

WsSession::~WsSession() {
  live_sessions.fetch_sub(1, std::memory_order_relaxed);
}

void WsSession::start(beast::http::request<beast::http::string_body> upgrade,
                      std::string proven_user) {
  const auto& o = ctx_.options;
  client_.proven_user = std::move(proven_user);
  beast::error_code ep_ec;
  auto remote = beast::get_lowest_layer(ws_).socket().remote_endpoint(ep_ec);
  if (!ep_ec) client_.address = remote.address().to_string();
  beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
  websocket::stream_base::timeout t;
  t.handshake_timeout = std::chrono::milliseconds(o.handshake_timeout_ms);
  t.idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
  t.keep_alive_pings = true;  // ping at idle/2, drop the peer if nothing came back by idle
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "roomctl"); }));
  ws_.read_message_max(static_cast<std::size_t>(o.limits.max_message_bytes));
  ws_.auto_fragment(false);
  ws_.async_accept(upgrade, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
}

void WsSession::on_accept(beast::error_code ec) {
  slot_.release();
  if (ec) {
    ctx_.metrics.connections_closed.with({"handshake_failed"}).inc();
    return;
  }
  accepted_ = true;
  auto& m = ctx_.metrics;
  if (ctx_.open_connections.load() >= ctx_.options.limits.max_connections) {
    m.refusals.with({"max_connections"}).inc();
    closed_reason_ = "max_connections";
    start_close(runtime::close_code::try_again_later, "server is at its connection limit", true);
    return;
  }
  if (ctx_.shutting_down.load()) {
    closed_reason_ = "shutdown";
    start_close(runtime::close_code::service_restart, "server is shutting down", true);
    return;
  }
  if (!ctx_.abuse.connection_opened(client_.address)) {
    closed_reason_ = "connections_per_address";
    start_close(runtime::close_code::policy_violation,
                "too many connections from this address (abuse.connections_per_address)", true);
    return;
  }
  address_counted_ = true;
  ++ctx_.open_connections;
  m.connections.add(1);
  m.connections_opened.inc();
  client_.outbox = shared_from_this();
  {
    std::lock_guard lock(ctx_.connections_mutex);
    ctx_.connections[id_] = weak_from_this();
  }
  do_read();
}

void WsSession::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
}

void WsSession::on_read(beast::error_code ec, std::size_t bytes) {
  // A read can complete successfully after a failed write already finished the session: its
  // message is dropped, nothing may be handled (or answered) for a connection that is gone.
  if (closed_) return;
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      ctx_.metrics.refusals.with({"message_size"}).inc();
      closed_reason_ = "message_too_big";
    } else if (ec == beast::error::timeout && !closing_) {
      closed_reason_ = "timeout";  // (a close already under way keeps its own reason)
    }
    finish(closed_reason_);
    return;
  }
  if (closing_) return;  // a close is under way: the connection is already offline
  if (!ws_.got_text()) {
    buffer_.consume(buffer_.size());
    ctx_.metrics.refusals.with({"binary_frame"}).inc();
    ctx_.dispatcher.reply_error(client_, "binary_frame",
                                "only text frames carrying JSON are accepted");
    closed_reason_ = "binary_frame";
    // Posted, so that the error queued just above is written before the close frame.
    close(runtime::close_code::unsupported_data, "binary frames are not supported");
    return;
  }
  auto data = buffer_.cdata();
  handle_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
  buffer_.consume(buffer_.size());
  if (!closing_) do_read();
}

bool WsSession::take_token() {
  auto now = mono_now_ms();
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
  protocol::EnvelopeLimits limits{static_cast<std::size_t>(ctx_.options.limits.max_id_length)};
  auto parsed = protocol::parse_envelope(text, limits);
  if (!parsed.ok) {
    ctx_.dispatcher.reply_error(client_, parsed.error_code, parsed.error_message);
  } else {
    ctx_.dispatcher.handle(client_, parsed.envelope, make_frame(std::string(text)));
  }
  m.message_handling.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void WsSession::send(Frame frame) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
    self->enqueue({std::move(f), nullptr});
  });
}

void WsSession::send_then(Frame frame, std::function<void(bool)> done) {
  asio::post(ws_.get_executor(),
             [self = shared_from_this(), f = std::move(frame), d = std::move(done)]() mutable {
               self->enqueue({std::move(f), std::move(d)});
             });
}

void WsSession::close(std::uint16_t code, std::string reason) {
  asio::post(ws_.get_executor(),
             [self = shared_from_this(), code, r = std::move(reason)]() mutable {
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

void WsSession::enqueue(Pending item) {
  if (closing_ || closed_ || !accepted_) {
    if (item.done) item.done(false);
    return;
  }
  const auto& l = ctx_.options.limits;
  std::size_t size = item.frame->size();
  if (static_cast<std::int64_t>(queue_.size()) >= l.send_queue_max_messages ||
      queued_bytes_.load() + static_cast<std::int64_t>(size) > l.send_queue_max_bytes) {
    ctx_.metrics.slow_consumer_closes.inc();
    ctx_.metrics.refusals.with({"send_queue"}).inc();
    log::warn("slow_consumer_closed", {{"conn", std::to_string(id_)},
                                       {"user", client_.user},
                                       {"queued", std::to_string(queue_.size())}});
    closed_reason_ = "slow_consumer";
    if (item.done) item.done(false);
    start_close(runtime::close_code::slow_consumer, "send queue overflow: reading too slowly",
                true);
    return;
  }
  account(static_cast<std::int64_t>(size));
  queue_.push_back(std::move(item));
  if (!writing_) do_write();
}

// Every change of this connection's queued bytes goes through here: the connection's own count
// (read by the budget shedder from other threads), the server-wide total and its gauge.
void WsSession::account(std::int64_t delta) {
  queued_bytes_.fetch_add(delta, std::memory_order_relaxed);
  ctx_.metrics.send_queue_bytes.add(static_cast<double>(delta));
  auto total = ctx_.queued_bytes.fetch_add(delta, std::memory_order_relaxed) + delta;
  if (delta > 0 && total > ctx_.options.limits.send_queue_total_bytes &&
      !ctx_.shedding.exchange(true))
    asio::post(ws_.get_executor(), [&ctx = ctx_] { ctx.shed_send_queues(); });
}

void WsSession::do_write() {
  writing_ = true;
  ws_.text(true);
  const auto& f = *queue_.front().frame;
  ws_.async_write(asio::buffer(f.data(), f.size()),
                  beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
}

void WsSession::on_write(beast::error_code ec, std::size_t bytes) {
  writing_ = false;
  if (ec) {
    finish("write_error");
    return;
  }
  Pending done = std::move(queue_.front());
  queue_.pop_front();
  std::size_t size = done.frame->size();
  account(-static_cast<std::int64_t>(size));
  ctx_.metrics.messages_out.inc();
  ctx_.metrics.bytes_out.inc(static_cast<double>(bytes));
  // A server frame's header: 2 bytes, 4 from 126 bytes of payload, 10 from 64 KiB.
  wire_written_ += size + (size < 126 ? 2 : size < 65536 ? 4 : 10);
  if (done.done) {
    unacked_.push_back({wire_written_, std::move(done.done)});
    settle_acks();
    watch_acks();
  }
  if (!queue_.empty())
    do_write();
  else if (closing_)
    do_close();
}

// Calls done(true) for every waiting frame the peer's TCP stack has acknowledged. Our data bytes
// not yet acknowledged are at most what the kernel still holds (SIOCOUTQ; pings and the close
// frame we did not count only make this estimate later, never early).
void WsSession::settle_acks() {
  if (unacked_.empty()) return;
  int outq = 0;
  if (ioctl(beast::get_lowest_layer(ws_).socket().native_handle(), SIOCOUTQ, &outq) != 0) return;
  auto in_flight = static_cast<std::uint64_t>(std::max(outq, 0));
  std::uint64_t acked = wire_written_ > in_flight ? wire_written_ - in_flight : 0;
  while (!unacked_.empty() && unacked_.front().wire_end <= acked) {
    auto done = std::move(unacked_.front().done);
    unacked_.pop_front();
    done(true);
  }
}

// While frames wait for their acknowledgement, look again every 50 ms: the peer's TCP acks
// arrive without any event on this connection.
void WsSession::watch_acks() {
  if (unacked_.empty() || ack_timer_armed_ || closed_) return;
  ack_timer_armed_ = true;
  ack_timer_.expires_after(std::chrono::milliseconds(50));
  ack_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    self->ack_timer_armed_ = false;
    if (ec || self->closed_) return;
    self->settle_acks();
    self->watch_acks();
  });
}

void WsSession::start_close(std::uint16_t code, std::string reason, bool drop_pending) {
  if (closing_ || closed_) return;
  closing_ = true;
  close_code_ = code;
  close_reason_ = std::move(reason);
  if (drop_pending) {
    // Keep only the frame being written: a write in flight cannot be abandoned.
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      auto back = std::move(queue_.back());
      queue_.pop_back();
      account(-static_cast<std::int64_t>(back.frame->size()));
      if (back.done) back.done(false);
    }
  }
  // Offline at once, not after the close handshake (a slow reader may take a minute to finish
  // it): its rooms see the disconnect and its direct messages go to the queue from now on.
  go_offline();
  if (!writing_) do_close();
}

void WsSession::do_close() {
  websocket::close_reason cr;
  cr.code = close_code_;
  // A close reason is UTF-8 text too (a peer fails the connection on a broken one), and it must
  // fit a control frame: cut at a code-point boundary.
  cr.reason = std::string(protocol::truncate_code_points(close_reason_, 120));
  ws_.async_close(
      cr, [self = shared_from_this()](beast::error_code) { self->finish(self->closed_reason_); });
}

void WsSession::finish(const char* reason) {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  // What the peer acknowledged was delivered; the rest dies with the socket: its senders'
  // fallbacks (the DM queue) take it back.
  settle_acks();
  auto never_acked = std::move(unacked_);
  unacked_.clear();
  ack_timer_.cancel();
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  for (auto& u : never_acked) u.done(false);
  auto pending = std::move(queue_);
  queue_.clear();
  for (auto& p : pending) {
    account(-static_cast<std::int64_t>(p.frame->size()));
    if (p.done) p.done(false);
  }
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
