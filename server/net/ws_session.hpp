// One player connection: a WebSocket over a raw TCP socket, pinned to one shard (its thread).
// roomctl frames its own bytes (server/protocol/ws_codec) instead of using Beast's stream:
//  - reads wait for readiness and then read into the shard's shared buffer, so an idle
//    connection holds no read buffer (only a partial frame is kept, bounded by the size limit);
//  - writes are corked: frames queued during one pass of the event loop leave in one gathered
//    write (writev) when the pass ends, one syscall per connection per pass, not per frame.
// Reads: size limit (1009), text only (1003 for binary), valid UTF-8 (1007), protocol errors
// (1002), token-bucket rate limit, envelope validation, then the dispatcher. Writes: a bounded
// queue of shared frames; overflowing it closes the connection as a slow consumer (4002).
// Keep-alive: a ping after half the idle timeout without input, closed after the whole.
// Only net/ includes this header.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/net/server_context.hpp"
#include "server/protocol/ws_codec.hpp"
#include "server/protocol/ws_reader.hpp"
#include "server/runtime/client.hpp"
#include "server/runtime/outbox.hpp"

namespace roomctl::net {

class Shard;

class WsSession : public runtime::Outbox,
                  private ws::MessageReader::Handler,
                  public std::enable_shared_from_this<WsSession> {
 public:
  // `slot` counts the connection as a pending handshake until the upgrade is answered.
  WsSession(boost::asio::ip::tcp::socket&& socket, Shard& shard, ServerContext& ctx,
            HandshakeSlot slot = {});
  ~WsSession() override;
  // On the shard's thread. Writes `handshake` (the 101 answer) first; `proven_user`: the user a
  // valid token of the upgrade named (empty: none); `early`: bytes the client sent after its
  // request (frames already).
  void start(std::string handshake, std::string proven_user, std::string early);

  // Outbox: from any thread; on the shard's own thread a frame is queued at once.
  void send(Frame frame) override;
  void send_then(Frame frame, std::function<void(bool)> done) override;
  void close(std::uint16_t code, std::string reason) override;
  std::uint64_t id() const override { return id_; }
  std::size_t queued_bytes() const override {
    return static_cast<std::size_t>(queued_bytes_.load(std::memory_order_relaxed));
  }
  // Sessions alive in this process (leak detection: roomctl_live_objects{kind="session"}).
  static std::int64_t live_count() { return live_sessions.load(std::memory_order_relaxed); }

  // For the shard (its thread only): queue a frame, write what is queued, check timeouts.
  void enqueue_here(Frame frame, std::function<void(bool)> done);
  void write_pending();
  void on_tick(std::int64_t now_ms);
  std::size_t tick_slot() const { return tick_slot_; }
  void set_tick_slot(std::size_t slot) { tick_slot_ = slot; }

 private:
  static std::atomic<std::int64_t> live_sessions;
  enum class Item : std::uint8_t { raw, text, ping, pong, close };  // what a queued item is
  struct Pending {
    Frame bytes;  // the payload (raw: bytes as they are, the upgrade answer)
    Item kind;
  };
  struct Ack {
    std::uint64_t wire_end;  // wire_queued_ after the frame
    std::function<void(bool)> done;
  };

  void admit();
  void wait_readable();
  void on_readable();
  bool consume(char* data, std::size_t size);
  bool on_message(ws::MessageReader::Kind kind, std::string_view payload) override;
  void handle_text(std::string_view text);
  bool take_token();
  static ws::Opcode opcode_of(Item item);
  void push(Frame bytes, Item kind);
  void schedule_flush();
  void wait_writable();
  void on_written(std::size_t bytes);
  void protocol_close(std::uint16_t code, const char* reason, const char* why);
  void start_close(std::uint16_t code, std::string reason, bool drop_pending);
  void finish(const char* reason);
  void go_offline();
  void account(std::int64_t delta);
  void settle_acks();
  void fail_unsent_acks();

  boost::asio::ip::tcp::socket socket_;
  Shard& shard_;
  ServerContext& ctx_;
  std::uint64_t id_;
  runtime::Client client_;
  HandshakeSlot slot_;
  // The send queue: [head_, size) not yet fully written; the first one `front_written_` bytes
  // in (header included). A vector, not a deque: an idle connection holds no queue memory.
  std::vector<Pending> queue_;
  std::size_t head_ = 0;
  std::size_t front_written_ = 0;
  // DM frames whose `done` waits until the peer's TCP stack acknowledged their last byte: a frame
  // in this server's kernel send buffer is not delivered yet, and goes back to its sender's
  // fallback (the DM queue) if the connection dies (see settle_acks).
  std::vector<Ack> acks_;
  std::uint64_t wire_queued_ = 0;  // wire bytes of every item queued so far
  std::uint64_t wire_sent_ = 0;    // of which the kernel took this many
  std::atomic<std::int64_t> queued_bytes_{0};
  std::int64_t last_input_ms_;
  std::int64_t close_deadline_ms_ = 0;  // closing: give up on the peer's close frame then
  std::size_t tick_slot_ = static_cast<std::size_t>(-1);
  std::shared_ptr<WsSession> keep_alive_;  // from start() to finish(): the ticker holds `this`
  double tokens_;
  std::int64_t last_refill_ms_;
  int refusals_in_row_ = 0;
  ws::MessageReader reader_;
  bool reading_ = false;          // a readiness wait is armed
  bool writing_ = false;          // waiting for the socket to take more (a full send buffer)
  bool flush_wanted_ = false;     // on the shard's flush list
  bool ping_sent_ = false;        // a keep-alive ping is out since the last input
  bool pong_queued_ = false;      // a pong waits in the queue (one at most)
  bool accepted_ = false;         // the upgrade was answered and the connection admitted
  bool closing_ = false;          // a close is requested: queue nothing new
  bool overflowed_ = false;       // the send queue overflowed: the slow-consumer close is posted
  bool close_queued_ = false;     // our close frame is in the queue
  bool peer_closed_ = false;      // the peer's close frame arrived
  bool discard_input_ = false;    // after a protocol error: read and drop until the peer closes
  bool closed_ = false;           // finish() ran
  bool offline_ = false;          // the dispatcher was told the connection is gone
  bool address_counted_ = false;  // counted in abuse.connections_per_address
  const char* closed_reason_ = "peer";
};

}  // namespace roomctl::net
