// WebSocket framing (RFC 6455) without I/O, for both ends: the server's player connections
// (net::WsSession) and the load generator's bots frame their own bytes instead of using Beast's
// stream, so that one read of a socket yields every frame it carries without a composed operation,
// a copy or an allocation per frame, and so that many frames leave in one gathered write.
// Client side: the upgrade request and the check of its answer, masked frames out. Server side:
// the accept key, unmasked frame headers, masked frames in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace roomctl::ws {

enum class Opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10
};

// A Sec-WebSocket-Key: 16 bytes from `random`, base64.
std::string make_key(std::uint64_t a, std::uint64_t b);
// The Sec-WebSocket-Accept a server answers to `key`.
std::string accept_key(std::string_view key);
std::string upgrade_request(std::string_view host, std::string_view path, std::string_view key);
// The server's 101 answer to a request with `key`. `offered` is the request's
// Sec-WebSocket-Protocol (comma-separated, may be empty): the first well-formed name offered is
// selected and echoed, as the original server did (a browser that offered subprotocols fails a
// connection whose answer selects none); no header when none was offered.
std::string upgrade_response(std::string_view key, std::string_view offered);

enum class Handshake { incomplete, accepted, refused };
// Looks at what the server has answered so far. On `accepted`, head_size is the length of the
// response head (the bytes after it are already frames); on `refused`, why says what was wrong.
Handshake check_upgrade_response(std::string_view received, std::string_view key,
                                 std::size_t& head_size, std::string& why);

// Appends one complete (FIN) frame, masked with `mask` as a client must.
void append_frame(std::string& out, Opcode op, std::string_view payload, std::uint32_t mask);

// Who sent the frames being parsed: a client must mask every frame, a server never masks.
enum class Sender { server, client };

struct Frame {
  enum class Status { incomplete, complete, error } status = Status::incomplete;
  bool fin = false;
  Opcode op = Opcode::continuation;
  std::string_view payload;  // points into the parsed data (still masked from a client)
  std::size_t size = 0;      // bytes of the whole frame
  std::uint32_t mask = 0;    // a client's masking key, as the 4 bytes appear on the wire
  bool too_big = false;      // the error is a payload over max_payload (close code 1009)
  const char* error = "";
};
// Parses the frame at the start of `data`. A frame longer than max_payload, a wrongly masked one,
// reserved bits (no extension is ever negotiated), an unknown opcode or a fragmented or long
// control frame are errors. `max_data` further bounds a data frame's payload (not a control
// frame's): what is left of a fragmented message's budget, so that a continuation that would
// pass it is refused from its header on.
Frame parse_frame(std::string_view data, std::size_t max_payload, Sender from = Sender::server,
                  std::size_t max_data = static_cast<std::size_t>(-1));

// Unmasks (or masks: the operation is its own inverse) `n` bytes at `p` that start `offset`
// bytes into a frame's payload.
void apply_mask(char* p, std::size_t n, std::uint32_t mask, std::size_t offset = 0);

// Writes the header of an unmasked, final frame of `payload_size` bytes (a server's frame) into
// `out` and returns its length: 2 bytes, 4 from 126 bytes of payload, 10 from 64 KiB.
std::size_t server_header(unsigned char (&out)[10], Opcode op, std::size_t payload_size);
inline std::size_t server_header_size(std::size_t payload_size) {
  return payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
}

// A close frame's payload: the code, then the reason (at most 123 bytes, whole code points).
std::string close_payload(std::uint16_t code, std::string_view reason);

// The status code of a close frame's payload (1005 when it carries none).
std::uint16_t close_code(std::string_view payload);

}  // namespace roomctl::ws
