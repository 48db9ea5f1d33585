// Turns the bytes a WebSocket client sends into messages and control frames (RFC 6455), without
// I/O: frames are unmasked in place, fragmented messages assembled, an incomplete frame kept for
// the next read, the message size limit and UTF-8 of text messages enforced. A player connection
// (net::WsSession) feeds it whatever each read returned; tests and the fuzzer feed it any split of
// any bytes. Memory: nothing while no frame or message is incomplete, otherwise at most one
// message's limit plus one incomplete control frame (kMaxHeldOverLimit): a ping may arrive between
// the fragments of a message that already fills its budget, and the RFC allows it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomctl::ws {

class MessageReader {
 public:
  enum class Kind { text, binary, ping, pong, close };
  // What to do about a peer that broke the protocol: close with this code.
  struct Error {
    std::uint16_t close_code;  // 1002 protocol error, 1007 bad UTF-8, 1009 too big
    const char* reason;        // for the close frame
    const char* label;         // for metrics and logs: protocol_error, bad_utf8, message_too_big
  };
  class Handler {
   public:
    virtual ~Handler() = default;
    // A whole message or a control frame; `payload` is valid during the call only. Returns
    // false to stop reading (the connection is going away).
    virtual bool on_message(Kind kind, std::string_view payload) = 0;
  };

  // What held_bytes() may exceed the message limit by: a whole control frame from a client (14
  // header bytes at most, 125 of payload) kept while a fragmented message is assembled.
  static constexpr std::size_t kMaxHeldOverLimit = 14 + 125;

  explicit MessageReader(std::size_t max_message_bytes) : max_(max_message_bytes) {}

  // Feeds `size` bytes at `data` (modified: unmasked in place). Calls the handler for each
  // message completed, in order. Returns an Error when the peer broke the protocol; the reader
  // is then spent (everything after is garbage) and must not be fed again.
  std::optional<Error> feed(char* data, std::size_t size, Handler& handler);
  // False once the handler asked to stop or an error was returned.
  bool active() const { return active_; }
  // Bytes held for an incomplete frame or message: at most the limit + kMaxHeldOverLimit.
  std::size_t held_bytes() const { return partial_.size() + message_.size(); }

 private:
  std::optional<Error> fail(std::uint16_t code, const char* reason, const char* label);
  std::optional<Error> on_frame(int opcode, bool fin, std::string_view payload, Handler& handler);

  std::size_t max_;
  std::string partial_;  // an incomplete frame
  std::string message_;  // the fragments of a message so far
  int message_opcode_ = 0;
  bool active_ = true;
};

}  // namespace roomctl::ws
