// A plain HTTP connection on either listener. On the public listener it answers ORIG's hello on
// `GET /` and hands WebSocket upgrades (any path) to a WsSession; on the admin listener it serves
// AdminApi routes. The request must arrive within the handshake timeout, and is bounded before the
// upgrade: request line and headers by limits.max_request_header_bytes, a body by a small fixed
// limit (431/413 otherwise), so a connection that never finishes its request holds kilobytes,
// not megabytes. A public connection counts as a pending handshake until it is upgraded.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>

#include "server/net/server_context.hpp"

namespace roomctl::net {

class Shard;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  enum class Role { public_port, admin_port };
  // `shard`: the shard whose io_context owns `socket` (an upgraded connection stays there).
  HttpSession(boost::asio::ip::tcp::socket&& socket, Shard& shard, ServerContext& ctx, Role role,
              HandshakeSlot slot = {});
  void start();

 private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void respond(boost::beast::http::response<boost::beast::http::string_body> res);

  void refuse(boost::beast::http::status status, const char* message);
  void upgrade();

  boost::beast::tcp_stream stream_;
  Shard& shard_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  ServerContext& ctx_;
  Role role_;
  HandshakeSlot slot_;
};

}  // namespace roomctl::net
