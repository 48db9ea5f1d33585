// Listener: binds (throws with a clear message on failure) and accepts until stopped.
#include "server/net/listener.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <stdexcept>

#include "server/metrics/server_metrics.hpp"
#include "server/net/shard.hpp"
#include "server/util/clock.hpp"
#include "server/util/log.hpp"

namespace roomctl::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(Shards& shards, const config::Endpoint& at, ServerContext& ctx,
                   HttpSession::Role role)
    : shards_(shards),
      acceptor_(shards[0].ioc()),
      ctx_(ctx),
      role_(role),
      backoff_timer_(shards[0].ioc()) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(at.host, ec);
  if (ec) throw std::runtime_error("cannot parse listen address \"" + at.host + "\"");
  tcp::endpoint ep(address, at.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + at.host + ":" + std::to_string(at.port) + ": " +
                             ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::start() {
  do_accept();
}

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->backoff_timer_.cancel();
  });
}

void Listener::do_accept() {
  Shard& shard = shards_.next();
  acceptor_.async_accept(shard.ioc(), [self = shared_from_this(), &shard](
                                          boost::system::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket), shard);
  });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket, Shard& shard) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) return back_off(ec);
  backoff_ms_ = 0;
  if (!admit(socket)) return do_accept();
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = role_ == HttpSession::Role::public_port
                     ? std::make_shared<HttpSession>(std::move(socket), shard, ctx_, role_,
                                                     HandshakeSlot(ctx_))
                     : std::make_shared<HttpSession>(std::move(socket), shard, ctx_, role_);
  // The session lives on its shard's thread from its first step.
  asio::post(shard.ioc(), [session] { session->start(); });
  do_accept();
}

// Public sockets only: within the pending-handshake limit and the open-files budget.
bool Listener::admit(tcp::socket& socket) {
  if (role_ != HttpSession::Role::public_port) return true;
  const char* limit = nullptr;
  auto pending = ctx_.pending_handshakes.load();
  if (pending >= ctx_.options.limits.max_pending_handshakes)
    limit = "pending_handshakes";
  else if (ctx_.fd_budget > 0 && ctx_.open_connections.load() + pending >= ctx_.fd_budget)
    limit = "fd_budget";
  if (!limit) return true;
  ctx_.metrics.refusals.with({limit}).inc();
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);  // RST: no TIME_WAIT kept
  socket.close(ignored);
  return false;
}

void Listener::back_off(const boost::system::error_code& ec) {
  bool out_of_fds = ec == asio::error::no_descriptors || ec.value() == ENFILE;
  ctx_.metrics.accept_errors.with({out_of_fds ? "fd_limit" : "other"}).inc();
  ++errors_since_log_;
  auto now = mono_now_ms();
  if (now - last_error_log_ms_ >= 10'000) {
    log::warn("accept_failed",
              {{"error", ec.message()},
               {"count", std::to_string(errors_since_log_)},
               {"retry_ms", std::to_string(std::max<std::int64_t>(
                                50, std::min<std::int64_t>(backoff_ms_ * 2, 1000)))}});
    last_error_log_ms_ = now;
    errors_since_log_ = 0;
  }
  // Retrying at once would spin: the condition (no descriptor free) lasts until sockets close.
  backoff_ms_ = std::clamp<std::int64_t>(backoff_ms_ * 2, 50, 1000);
  backoff_timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
  backoff_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
    if (!wait_ec) self->do_accept();
  });
}

}  // namespace roomctl::net
