// A blocking TCP socket for tests that must misbehave below the WebSocket layer: stall in the
// middle of an HTTP request, hold descriptors, send frames in bulk, or reset the connection.
#pragma once

#include <cstdint>
#include <string>

namespace roomctl::test {

class RawSocket {
 public:
  // Connects to 127.0.0.1:port; is_open() is false when the connect failed. A receive buffer
  // size (SO_RCVBUF, set before connecting) makes a reader that stops reading stall the sender
  // at once instead of after megabytes.
  explicit RawSocket(std::uint16_t port, int receive_buffer = 0);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // Writes everything (false if the peer is gone).
  bool write(const std::string& bytes);
  // Reads what is there within `timeout_ms` (empty on timeout or EOF).
  std::string read_some(int timeout_ms);
  // True when the peer closed (EOF or reset) within `timeout_ms`.
  bool peer_closed(int timeout_ms);
  // Performs the WebSocket upgrade; true on 101.
  bool upgrade();
  // The same with more header lines (each ending in \r\n); returns the status line and headers.
  std::string upgrade_reply(const std::string& extra_headers = "");
  // One masked client text frame carrying `text`.
  static std::string text_frame(const std::string& text);
  // Closes with SO_LINGER 0: the peer sees a TCP reset, not a FIN.
  void reset();

 private:
  int fd_ = -1;
};

}  // namespace roomctl::test
