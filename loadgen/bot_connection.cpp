// Bot connection I/O.
#include "loadgen/bot_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <stdexcept>

namespace roomctl::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

Target parse_target(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "ws")
    throw std::runtime_error("target \"" + url + "\": expected ws://HOST:PORT/PATH");
  Target t;
  std::string host(u->host());
  std::string port = u->has_port() ? std::string(u->port()) : "80";
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, port);
  if (results.empty()) throw std::runtime_error("target \"" + url + "\": cannot resolve " + host);
  t.endpoint = *results.begin();
  t.host = host + ":" + port;
  t.path = u->encoded_path().empty() ? "/" : std::string(u->encoded_path());
  return t;
}

BotConnection::BotConnection(asio::io_context& ioc, Stats& stats, const Target& target,
                             std::string source_ip, std::int64_t connect_timeout_ms)
    : ws_(ioc),
      pause_timer_(ioc),
      stats_(stats),
      target_(target),
      source_ip_(std::move(source_ip)),
      connect_timeout_ms_(connect_timeout_ms) {}

void BotConnection::connect(std::function<void(bool)> done) {
  auto started = std::chrono::steady_clock::now();
  auto& sock = beast::get_lowest_layer(ws_).socket();
  beast::error_code ec;
  sock.open(target_.endpoint.protocol(), ec);
  if (!ec && !source_ip_.empty()) {
    sock.set_option(asio::socket_base::reuse_address(true), ec);
    sock.bind(tcp::endpoint(asio::ip::make_address(source_ip_), 0), ec);
  }
  if (ec) {
    stats_.error("connect_failed");
    return done(false);
  }
  beast::get_lowest_layer(ws_).expires_after(std::chrono::milliseconds(connect_timeout_ms_));
  beast::get_lowest_layer(ws_).async_connect(
      target_.endpoint, [self = shared_from_this(), started, done](beast::error_code ec) {
        if (ec) {
          self->stats_.error("connect_failed");
          return done(false);
        }
        // (The request is built before async_handshake returns: a local target is enough.)
        std::string path = self->target_.path + self->query;
        self->ws_.async_handshake(
            self->target_.host, path, [self, started, done](beast::error_code ec) {
              if (ec) {
                self->stats_.error("handshake_failed");
                return done(false);
              }
              beast::get_lowest_layer(self->ws_).expires_never();
              self->ws_.read_message_max(64 << 20);
              self->open_ = true;
              self->stats_.inc("connections");
              self->stats_.latency("connect_latency",
                                   std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count());
              self->read();
              self->write();
              done(true);
            });
      });
}

void BotConnection::read() {
  if (paused_ || reading_ || !open_) return;
  reading_ = true;
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
    self->reading_ = false;
    if (ec) return self->closed(static_cast<std::uint16_t>(self->ws_.reason().code));
    self->stats_.inc("messages_received");
    self->stats_.inc("bytes_received", bytes);
    auto data = self->buffer_.cdata();
    if (self->on_message)
      self->on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
    self->buffer_.consume(self->buffer_.size());
    self->read();
  });
}

// Messages sent before the handshake completes wait in the queue and go out right after it.
void BotConnection::send(std::string text) {
  if (finished_) return;
  queue_.push_back(std::move(text));
  write();
}

void BotConnection::write() {
  if (writing_ || queue_.empty() || !open_) return;
  writing_ = true;
  ws_.async_write(asio::buffer(queue_.front()),
                  [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                    self->writing_ = false;
                    if (ec) return self->closed(0);
                    self->stats_.inc("messages_sent");
                    self->stats_.inc("bytes_sent", bytes);
                    self->queue_.pop_front();
                    self->write();
                  });
}

void BotConnection::pause_reading(std::int64_t ms) {
  paused_ = true;
  pause_timer_.expires_after(std::chrono::milliseconds(ms));
  pause_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;
    self->paused_ = false;
    self->read();
  });
}

void BotConnection::close() {
  if (!open_) return;
  open_ = false;
  ws_.async_close(websocket::close_code::normal,
                  [self = shared_from_this()](beast::error_code) { self->closed(1000); });
}

void BotConnection::drop() {
  if (!open_) return;
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  closed(1006);
}

void BotConnection::closed(std::uint16_t code) {
  if (finished_) return;
  finished_ = true;
  open_ = false;
  pause_timer_.cancel();
  queue_.clear();
  if (!on_close) on_message = nullptr;  // callbacks may hold their owners: drop them when done
  if (on_close) {
    auto cb = std::move(on_close);
    on_close = nullptr;
    on_message = nullptr;
    cb(code);
  }
}

}  // namespace roomctl::loadgen
