// How the runtime reaches a client connection without knowing sockets or Asio.
// Every method is thread-safe: implementations post onto the connection's own executor.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "server/protocol/frame.hpp"

namespace roomctl::runtime {

// WebSocket close codes roomctl sends itself (docs/protocol.md); Beast closes a frame over
// limits.max_message_bytes with 1009 and invalid UTF-8 with 1007 on its own.
namespace close_code {
inline constexpr std::uint16_t unsupported_data = 1003;  // binary frame
inline constexpr std::uint16_t policy_violation = 1008;  // abuse: rate limit exceeded repeatedly
inline constexpr std::uint16_t try_again_later = 1013;   // max connections reached
inline constexpr std::uint16_t service_restart = 1012;   // shutdown
inline constexpr std::uint16_t replaced = 4001;          // same userId connected elsewhere
inline constexpr std::uint16_t slow_consumer = 4002;     // send queue overflow
inline constexpr std::uint16_t kicked = 4003;            // removed by an operator or a vote
inline constexpr std::uint16_t room_moved = 4004;  // cluster: the room's owner changed; reconnect
}  // namespace close_code

class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void send(Frame frame) = 0;
  // A frame of `room`'s stream. A local connection ignores the room; a member on another node
  // needs it (frames of one room are numbered per node, so that a lost one is noticed).
  virtual void send_in_room(const std::string& room, Frame frame) {
    (void)room;
    send(std::move(frame));
  }
  // Calls done(true) on the connection's executor once the frame was written to the socket,
  // done(false) if the connection closed first. Used for at-least-once DM delivery.
  virtual void send_then(Frame frame, std::function<void(bool written)> done) = 0;
  virtual void close(std::uint16_t code, std::string reason) = 0;
  virtual std::uint64_t id() const = 0;
  // Bytes waiting in this connection's send queue (any thread; for the send-queue budget).
  virtual std::size_t queued_bytes() const { return 0; }
  // True for a user connected to another node of a cluster (its frames travel the bus): such a
  // user is online here, but presence and pings are that node's to send.
  virtual bool remote() const { return false; }
};

}  // namespace roomctl::runtime
