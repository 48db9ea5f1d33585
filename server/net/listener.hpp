// Accept loop for one listener; every accepted socket gets its own strand and an HttpSession.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "server/net/http_session.hpp"

namespace roomctl::net {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& ioc, const config::Endpoint& at, ServerContext& ctx,
           HttpSession::Role role);
  void start();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ServerContext& ctx_;
  HttpSession::Role role_;
};

}  // namespace roomctl::net
