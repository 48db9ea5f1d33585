// One synthetic player's WebSocket: async, on the worker's single I/O thread (no locks), with a
// write queue, optional source address (to open more than 64k loopback connections), connect
// latency measurement and slow-reader fault injection.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "loadgen/stats.hpp"

namespace roomctl::loadgen {

struct Target {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string host;  // Host header
  std::string path;
};
// Parses ws://HOST:PORT/PATH and resolves HOST once. Throws std::runtime_error.
Target parse_target(const std::string& url);

class BotConnection : public std::enable_shared_from_this<BotConnection> {
 public:
  BotConnection(boost::asio::io_context& ioc, Stats& stats, const Target& target,
                std::string source_ip, std::int64_t connect_timeout_ms);
  void connect(std::function<void(bool ok)> done);
  void send(std::string text);
  void close();
  void drop();  // abrupt: no close handshake (reconnect storms)
  void pause_reading(std::int64_t ms);
  bool is_open() const { return open_; }

  std::string query;  // appended to the target's path in the upgrade: the bot's ?token=
  std::function<void(std::string_view)> on_message;
  std::function<void(std::uint16_t code)> on_close;

 private:
  void read();
  void write();
  void closed(std::uint16_t code);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  boost::asio::steady_timer pause_timer_;
  Stats& stats_;
  const Target& target_;
  std::string source_ip_;
  std::int64_t connect_timeout_ms_;
  std::deque<std::string> queue_;
  bool writing_ = false, open_ = false, paused_ = false, reading_ = false, finished_ = false;
};

}  // namespace roomctl::loadgen
