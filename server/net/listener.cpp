// Listener: binds (throws with a clear message on failure) and accepts until stopped.
#include "server/net/listener.hpp"

#include <boost/asio/strand.hpp>
#include <stdexcept>

#include "server/util/log.hpp"

namespace roomctl::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& ioc, const config::Endpoint& at, ServerContext& ctx,
                   HttpSession::Role role)
    : ioc_(ioc), acceptor_(ioc), ctx_(ctx), role_(role) {
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
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(
      asio::make_strand(ioc_),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (!ec) {
          boost::system::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          std::make_shared<HttpSession>(std::move(socket), self->ctx_, self->role_)->start();
        } else if (ec == asio::error::no_descriptors) {
          log::warn("accept_failed", {{"error", ec.message()}});  // out of fds: back off briefly
        }
        self->do_accept();
      });
}

}  // namespace roomctl::net
