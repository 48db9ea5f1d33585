// The client side of WebSocket framing (RFC 6455) without I/O: the upgrade request and the check
// of its answer, masked frames out, frames in. The load generator frames its own bytes instead of
// using Beast's stream so that one read of the socket yields every frame it carries without a
// composed operation, a copy or an allocation per frame (a worker must receive hundreds of
// thousands of frames per second on one core).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace roomctl::loadgen::ws {

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

enum class Handshake { incomplete, accepted, refused };
// Looks at what the server has answered so far. On `accepted`, head_size is the length of the
// response head (the bytes after it are already frames); on `refused`, why says what was wrong.
Handshake check_upgrade_response(std::string_view received, std::string_view key,
                                 std::size_t& head_size, std::string& why);

// Appends one complete (FIN) frame, masked with `mask` as a client must.
void append_frame(std::string& out, Opcode op, std::string_view payload, std::uint32_t mask);

struct Frame {
  enum class Status { incomplete, complete, error } status = Status::incomplete;
  bool fin = false;
  Opcode op = Opcode::continuation;
  std::string_view payload;  // points into the parsed data
  std::size_t size = 0;      // bytes of the whole frame
  const char* error = "";
};
// Parses the frame at the start of `data`. A server's frames are never masked; a frame longer
// than max_payload, a masked one, reserved bits or an unknown opcode are errors.
Frame parse_frame(std::string_view data, std::size_t max_payload);

// The status code of a close frame's payload (1005 when it carries none).
std::uint16_t close_code(std::string_view payload);

}  // namespace roomctl::loadgen::ws
