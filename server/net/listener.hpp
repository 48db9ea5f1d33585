// Accept loop for one listener; every accepted socket goes to the next shard (round robin), where
// its HttpSession runs.
// The public listener refuses (closes at once) a socket beyond limits.max_pending_handshakes or
// beyond the open-files budget, so the server keeps descriptors for its store and admin API.
// Out of descriptors anyway (EMFILE), it backs off (50 ms doubling to 1 s) instead of spinning,
// counts roomctl_accept_errors_total and logs at most one line per 10 s.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>

#include "server/net/http_session.hpp"

namespace roomctl::net {

class Shards;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Accepts on shard 0's thread.
  Listener(Shards& shards, const config::Endpoint& at, ServerContext& ctx, HttpSession::Role role);
  void start();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket, Shard& shard);
  bool admit(boost::asio::ip::tcp::socket& socket);
  void back_off(const boost::system::error_code& ec);

  Shards& shards_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ServerContext& ctx_;
  HttpSession::Role role_;
  boost::asio::steady_timer backoff_timer_;
  std::int64_t backoff_ms_ = 0;
  std::int64_t last_error_log_ms_ = 0;
  std::uint64_t errors_since_log_ = 0;
};

}  // namespace roomctl::net
