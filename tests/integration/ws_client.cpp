// WsClient: Beast WebSocket on a private io_context thread; a mutex+condvar inbox.
#include "tests/integration/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace roomctl::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

struct WsClient::Impl {
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
      ioc.get_executor()};
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::thread thread;

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::string> inbox;
  bool open = false;
  bool closed = false;
  std::optional<std::uint16_t> close_code;

  std::deque<std::pair<std::string, bool>> outbox;  // (data, binary)
  bool writing = false;
  bool paused = false;
  bool reading = false;

  void start_read() {
    if (paused || reading) return;
    reading = true;
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        std::lock_guard lock(mutex);
        closed = true;
        open = false;
        if (ws.reason().code != 0 || ec == websocket::error::closed)
          close_code = static_cast<std::uint16_t>(ws.reason().code);
        cv.notify_all();
        return;
      }
      {
        std::lock_guard lock(mutex);
        inbox.push_back(beast::buffers_to_string(buffer.data()));
        cv.notify_all();
      }
      buffer.consume(buffer.size());
      start_read();
    });
  }

  void write_next() {
    if (writing || outbox.empty() || closed) return;
    writing = true;
    ws.binary(outbox.front().second);
    ws.async_write(asio::buffer(outbox.front().first), [this](beast::error_code ec, std::size_t) {
      writing = false;
      outbox.pop_front();
      if (!ec) write_next();
    });
  }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

WsClient::~WsClient() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ignored;
    beast::get_lowest_layer(impl_->ws).socket().close(ignored);
    impl_->work.reset();
  });
  impl_->thread.join();
}

void WsClient::connect(const std::string& host, std::uint16_t port, const std::string& path) {
  std::promise<std::string> done;
  asio::post(impl_->ioc, [&] {
    try {
      asio::ip::tcp::resolver resolver(impl_->ioc);
      auto results = resolver.resolve(host, std::to_string(port));
      beast::get_lowest_layer(impl_->ws).connect(results);
      impl_->ws.handshake(host + ":" + std::to_string(port), path);
      impl_->ws.read_message_max(64 << 20);
      {
        std::lock_guard lock(impl_->mutex);
        impl_->open = true;
      }
      impl_->start_read();
      done.set_value("");
    } catch (const std::exception& e) {
      done.set_value(e.what());
    }
  });
  auto err = done.get_future().get();
  if (!err.empty())
    throw std::runtime_error("websocket connect to " + host + ":" + std::to_string(port) +
                             " failed: " + err);
}

void WsClient::send(const std::string& text) {
  asio::post(impl_->ioc, [this, text] {
    impl_->outbox.emplace_back(text, false);
    impl_->write_next();
  });
}

void WsClient::send_binary(const std::string& bytes) {
  asio::post(impl_->ioc, [this, bytes] {
    impl_->outbox.emplace_back(bytes, true);
    impl_->write_next();
  });
}

std::optional<std::string> WsClient::recv(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_for(lock, timeout, [&] { return !impl_->inbox.empty() || impl_->closed; });
  if (impl_->inbox.empty()) return std::nullopt;
  auto msg = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  return msg;
}

std::optional<std::string> WsClient::recv_until(const std::function<bool(const std::string&)>& pred,
                                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto msg = recv(left);
    if (!msg) return std::nullopt;
    if (pred(*msg)) return msg;
  }
}

void WsClient::pause_reading() {
  asio::post(impl_->ioc, [this] { impl_->paused = true; });
}

void WsClient::resume_reading() {
  asio::post(impl_->ioc, [this] {
    impl_->paused = false;
    impl_->start_read();
  });
}

void WsClient::close(std::uint16_t code) {
  std::promise<void> done;
  asio::post(impl_->ioc, [&] {
    if (impl_->closed) return done.set_value();
    impl_->ws.async_close(websocket::close_reason(code),
                          [&](beast::error_code) { done.set_value(); });
  });
  done.get_future().wait_for(std::chrono::seconds(5));
}

std::optional<std::uint16_t> WsClient::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return impl_->closed; })) return std::nullopt;
  return impl_->close_code.value_or(0);
}

bool WsClient::is_open() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open && !impl_->closed;
}

}  // namespace roomctl::test
