// A small WebSocket client with its own I/O thread: messages are queued as they arrive and taken
// with a timeout, so tests and tools can script a conversation without blocking on the socket.
// Used by the integration tests only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace roomctl::test {

class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Throws std::runtime_error when the connection or handshake fails.
  void connect(const std::string& host, std::uint16_t port, const std::string& path = "/");
  void send(const std::string& text);
  void send_binary(const std::string& bytes);
  // Next text message, or nullopt after `timeout` (or when the connection is closed).
  std::optional<std::string> recv(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Skips messages until pred matches; nullopt on timeout.
  std::optional<std::string> recv_until(
      const std::function<bool(const std::string&)>& pred,
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Stops reading from the socket (to simulate a slow reader); messages pile up server-side.
  void pause_reading();
  void resume_reading();
  void close(std::uint16_t code = 1000);
  // Waits until the server closed the connection; returns its close code (0 if none arrived).
  std::optional<std::uint16_t> wait_closed(
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool is_open() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomctl::test
