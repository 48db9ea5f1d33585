// One player connection: a Beast WebSocket on its own strand.
// Reads: size limit (frame max), text only, token-bucket rate limit, envelope validation, then the
// dispatcher. Writes: a bounded queue of shared frames; overflowing it closes the connection as a
// slow consumer (4002). Only net/ includes this header.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <functional>
#include <memory>

#include "server/net/server_context.hpp"
#include "server/runtime/client.hpp"
#include "server/runtime/outbox.hpp"

namespace roomctl::net {

class WsSession : public runtime::Outbox, public std::enable_shared_from_this<WsSession> {
 public:
  // `slot` counts the connection as a pending handshake until the upgrade completed.
  WsSession(boost::beast::tcp_stream&& stream, ServerContext& ctx, HandshakeSlot slot = {});
  ~WsSession() override;
  // `proven_user`: the user a valid token of the upgrade request named (empty: none).
  void start(boost::beast::http::request<boost::beast::http::string_body> upgrade,
             std::string proven_user = {});

  void send(Frame frame) override;
  void send_then(Frame frame, std::function<void(bool)> done) override;
  void close(std::uint16_t code, std::string reason) override;
  std::uint64_t id() const override { return id_; }
  // Sessions alive in this process (leak detection: roomctl_live_objects{kind="session"}).
  static std::int64_t live_count() { return live_sessions.load(std::memory_order_relaxed); }
  std::size_t queued_bytes() const override {
    return static_cast<std::size_t>(queued_bytes_.load());
  }

 private:
  static std::atomic<std::int64_t> live_sessions;
  struct Pending {
    Frame frame;
    std::function<void(bool)> done;
  };
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void handle_text(std::string_view text);
  bool take_token();
  void enqueue(Pending item);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void start_close(std::uint16_t code, std::string reason, bool drop_pending);
  void do_close();
  void finish(const char* reason);
  void go_offline();
  void account(std::int64_t delta);
  void settle_acks();
  void watch_acks();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  ServerContext& ctx_;
  std::uint64_t id_;
  runtime::Client client_;
  HandshakeSlot slot_;
  std::deque<Pending> queue_;
  // Frames written whose `done` waits until the peer's TCP stack acknowledged their last byte:
  // a frame in this server's kernel send buffer is not delivered yet, and goes back to its
  // sender's fallback (the DM queue) if the connection dies (see settle_acks).
  struct Unacked {
    std::uint64_t wire_end;  // wire_written_ after this frame
    std::function<void(bool)> done;
  };
  std::deque<Unacked> unacked_;
  std::uint64_t wire_written_ = 0;  // bytes of our data frames (headers included) written
  boost::asio::steady_timer ack_timer_;
  bool ack_timer_armed_ = false;
  std::atomic<std::int64_t> queued_bytes_{0};
  bool writing_ = false;
  bool accepted_ = false;
  bool closing_ = false;          // a close is requested: write nothing new
  bool closed_ = false;           // finish() ran
  bool offline_ = false;          // the dispatcher was told the connection is gone
  bool address_counted_ = false;  // counted in abuse.connections_per_address
  std::uint16_t close_code_ = 0;
  std::string close_reason_;
  const char* closed_reason_ = "peer";
  double tokens_;
  std::int64_t last_refill_ms_;
  int refusals_in_row_ = 0;
};

}  // namespace roomctl::net
