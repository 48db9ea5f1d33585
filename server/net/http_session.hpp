// A plain HTTP connection on either listener. On the public listener it answers ORIG's hello on
// `GET /` and hands WebSocket upgrades (any path) to a WsSession; on the admin listener it serves
// AdminApi routes. The request must arrive within the handshake timeout.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>

#include "server/net/server_context.hpp"

namespace roomctl::net {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  enum class Role { public_port, admin_port };
  HttpSession(boost::asio::ip::tcp::socket&& socket, ServerContext& ctx, Role role);
  void start();

 private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void respond(boost::beast::http::response<boost::beast::http::string_body> res);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  ServerContext& ctx_;
  Role role_;
};

}  // namespace roomctl::net
