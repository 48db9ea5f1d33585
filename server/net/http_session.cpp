// HTTP handling for both listeners.
#include "server/net/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <chrono>

#include "server/metrics/server_metrics.hpp"
#include "server/net/admin_api.hpp"
#include "server/net/ws_session.hpp"
#include "server/protocol/ws_codec.hpp"
#include "server/runtime/identity_guard.hpp"

namespace roomctl::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
// Bodies are tiny on both listeners (the admin API's POSTs carry none).
constexpr std::uint64_t kMaxBodyBytes = 16 * 1024;

// A token presented with the upgrade: `?token=` in the URL (browsers cannot set headers on a
// WebSocket) or `Authorization: Bearer`.
std::string upgrade_token(const http::request<http::string_body>& req) {
  auto auth = req[http::field::authorization];
  if (auth.size() > 7 && beast::iequals(auth.substr(0, 7), "Bearer "))
    return std::string(auth.substr(7));
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return "";
  auto it = url->params().find("token");
  return it == url->params().end() ? "" : std::string((*it).value);
}
}  // namespace

HttpSession::HttpSession(boost::asio::ip::tcp::socket&& socket, Shard& shard, ServerContext& ctx,
                         Role role, HandshakeSlot slot)
    : stream_(std::move(socket)),
      shard_(shard),
      // The read buffer never grows past the header limit plus a body: the parser takes it in
      // parts.
      buffer_(static_cast<std::size_t>(ctx.options.limits.max_request_header_bytes) +
              kMaxBodyBytes),
      ctx_(ctx),
      role_(role),
      slot_(std::move(slot)) {}

void HttpSession::start() {
  do_read();
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(ctx_.options.limits.max_request_header_bytes));
  parser_->body_limit(kMaxBodyBytes);
  stream_.expires_after(std::chrono::milliseconds(ctx_.options.handshake_timeout_ms));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::refuse(http::status status, const char* message) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = std::string(R"({"type":"error","code":"bad_request","message":")") + message + "\"}";
  res.keep_alive(false);
  respond(std::move(res));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    ctx_.metrics.refusals.with({"request_header_size"}).inc();
    return refuse(http::status::request_header_fields_too_large,
                  "request headers are too large (limits.max_request_header_bytes)");
  }
  if (ec == http::error::body_limit) {
    ctx_.metrics.refusals.with({"request_body_size"}).inc();
    return refuse(http::status::payload_too_large, "request body is too large");
  }
  if (ec) {
    if (ec == beast::error::timeout) ctx_.metrics.refusals.with({"handshake_timeout"}).inc();
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    return;
  }
  req_ = parser_->release();
  parser_.reset();
  if (role_ == Role::public_port) {
    if (beast::websocket::is_upgrade(req_)) return upgrade();
    http::response<http::string_body> res{http::status::ok, req_.version()};
    res.set(http::field::content_type, "application/json");
    if (req_.method() == http::verb::get && req_.target() == "/") {
      res.body() = R"("hello from word spy websocket server")";
    } else {
      res.result(http::status::not_found);
      res.body() = R"({"error":"not found"})";
    }
    res.keep_alive(req_.keep_alive());
    return respond(std::move(res));
  }

  AdminRequest ar;
  ar.method = std::string(req_.method_string());
  ar.target = std::string(req_.target());
  ar.authorization = std::string(req_[http::field::authorization]);
  ar.origin = std::string(req_[http::field::origin]);
  ar.content_type = std::string(req_[http::field::content_type]);
  ar.has_origin = req_.find(http::field::origin) != req_.end();
  beast::error_code ep_ec;
  auto remote = stream_.socket().remote_endpoint(ep_ec);
  ar.from_loopback = !ep_ec && remote.address().is_loopback();
  if (!ep_ec) ar.peer = remote.address().to_string() + ":" + std::to_string(remote.port());
  bool head = req_.method() == http::verb::head;
  unsigned version = req_.version();
  bool keep_alive = req_.keep_alive();
  ctx_.admin.handle(ar, [self = shared_from_this(), head, version, keep_alive](AdminResponse r) {
    // The answer may come from a room's thread: write it from this session's own executor.
    boost::asio::post(self->stream_.get_executor(), [self, head, version, keep_alive,
                                                     r = std::move(r)]() mutable {
      http::response<http::string_body> res{static_cast<http::status>(r.status), version};
      res.set(http::field::content_type, r.content_type);
      res.body() = head ? std::string() : std::move(r.body);
      res.keep_alive(keep_alive);
      self->respond(std::move(res));
    });
  });
}

// The WebSocket upgrade (RFC 6455 §4.2): checked here, answered by the WsSession that takes the
// socket over (its 101 is the first thing it writes).
void HttpSession::upgrade() {
  auto json_refusal = [this](http::status status, boost::json::object body) {
    http::response<http::string_body> res{status, req_.version()};
    res.set(http::field::content_type, "application/json");
    res.body() = boost::json::serialize(body);
    res.keep_alive(false);
    return res;
  };
  if (ctx_.shutting_down.load())
    return respond(json_refusal(
        http::status::service_unavailable,
        {{"type", "error"}, {"code", "shutting_down"}, {"message", "server is shutting down"}}));
  auto key = req_[http::field::sec_websocket_key];
  if (req_.method() != http::verb::get || req_.version() != 11 || key.size() != 24)
    return refuse(http::status::bad_request, "not a valid WebSocket upgrade request");
  if (req_[http::field::sec_websocket_version] != "13") {
    auto res = json_refusal(http::status::upgrade_required,
                            {{"type", "error"},
                             {"code", "bad_request"},
                             {"message", "WebSocket version 13 is required"}});
    res.set(http::field::sec_websocket_version, "13");
    return respond(std::move(res));
  }
  // A bad token is refused before the upgrade, with the reason, so that a client sees why
  // instead of a connection that then refuses its every message.
  std::string proven;
  if (auto token = upgrade_token(req_); !token.empty()) {
    if (auto r = ctx_.identity.check_token(token, proven); !r.code.empty())
      return respond(json_refusal(http::status::unauthorized,
                                  {{"type", "error"}, {"code", r.code}, {"message", r.message}}));
  }
  std::string answer = ws::upgrade_response(key, req_[http::field::sec_websocket_protocol]);
  // Bytes after the request are the client's first frames already.
  std::string early = beast::buffers_to_string(buffer_.data());
  auto session =
      std::make_shared<WsSession>(stream_.release_socket(), shard_, ctx_, std::move(slot_));
  session->start(std::move(answer), std::move(proven), std::move(early));
}

void HttpSession::respond(http::response<http::string_body> res) {
  res.set(http::field::server, "roomctl");
  res.prepare_payload();
  auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
  http::async_write(
      stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
        if (ec) return;
        if (!sp->keep_alive()) {
          beast::error_code ignored;
          self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
          return;
        }
        self->do_read();
      });
}

}  // namespace roomctl::net
