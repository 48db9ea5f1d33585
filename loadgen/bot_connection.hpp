// One synthetic player's WebSocket, on the worker's single I/O thread (no locks). It frames its
// own bytes (server/protocol/ws_codec.hpp): each read lands in a small per-connection buffer,
// bursts continue in one big buffer shared by every connection of the thread, and one read yields
// every frame it carries. Sends go out at once when the socket takes them; what waits is written in
// one go. Optional source address (more than 64k loopback connections), connect latency,
// slow-reader fault injection.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "loadgen/stats.hpp"

namespace roomctl::loadgen {

struct Target {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string url;   // as given
  std::string host;  // Host header
  std::string path;  // request target, with its query
};
// Parses ws://HOST:PORT/PATH and resolves HOST once. Throws std::runtime_error.
Target parse_target(const std::string& url);

// Whether a TCP connection to the target opens within `timeout`: empty, or why not
// ("Connection refused"). The load test's pre-flight check.
std::string probe(const Target& target, std::chrono::milliseconds timeout);

class BotConnection : public std::enable_shared_from_this<BotConnection> {
 public:
  BotConnection(boost::asio::io_context& ioc, Stats& stats, const Target& target,
                std::string source_ip, std::int64_t connect_timeout_ms);
  // done(false) after a refused or timed-out connect or handshake; the error is counted.
  void connect(std::function<void(bool ok)> done);
  // Sent in order; what is sent before the handshake completes leaves right after it.
  void send(std::string_view text);
  void close();  // close handshake, bounded by a timer
  void drop();   // abrupt: no close handshake (reconnect storms)
  void pause_reading(std::int64_t ms);
  bool is_open() const { return state_ == State::open; }

  std::string query;  // appended to the target's path in the upgrade: the bot's ?token=
  // The text of each message; valid only during the call.
  std::function<void(std::string_view)> on_message;
  std::function<void(std::uint16_t code)> on_close;

 private:
  enum class State : std::uint8_t { idle, connecting, handshaking, open, closing, finished };
  void await_readable();
  void drain();
  bool ingest(std::string_view bytes);
  void read_handshake(std::string_view bytes);
  // Handles every complete frame at the start of `data`; returns how many bytes it used.
  std::size_t consume(std::string_view data);
  void deliver(std::string_view message);
  void flush();
  void handshake_done(bool ok, const char* error);
  void closed(std::uint16_t code);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;  // connect deadline, then reading pauses, then close wait
  Stats& stats_;
  const Target& target_;
  std::string source_ip_;
  std::string key_;
  std::string in_;         // an incomplete frame (or response head) carried to the next read
  std::string fragments_;  // a fragmented message being reassembled
  std::string out_;        // framed and waiting for the socket
  std::string writing_;    // handed to an asynchronous write
  // Where each read lands first; bursts larger than this continue in the thread's big buffer.
  static constexpr std::size_t kSmallBuffer = 2048;
  std::unique_ptr<char[]> small_buffer_;
  std::function<void(bool)> connect_done_;
  std::chrono::steady_clock::time_point started_;
  std::int64_t connect_timeout_ms_;
  std::uint64_t* received_;
  std::uint64_t* received_bytes_;
  std::uint64_t* sent_;
  std::uint64_t* sent_bytes_;
  std::uint32_t mask_;
  std::uint16_t peer_close_code_ = 1006;
  State state_ = State::idle;
  bool awaiting_ = false, writing_active_ = false, paused_ = false, delivering_ = false,
       handling_read_ = false;
};

}  // namespace roomctl::loadgen
