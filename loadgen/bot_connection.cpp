// Bot connection I/O: connect, upgrade, a readiness-driven read loop over the shared receive
// buffer, writes that go out at once when the socket takes them.
#include "loadgen/bot_connection.hpp"

#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "server/protocol/ws_codec.hpp"

namespace roomctl::loadgen {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {
constexpr std::size_t kMaxMessage = 64 << 20;
constexpr std::size_t kReceiveBuffer = 256 << 10;
constexpr auto kCloseWait = std::chrono::seconds(1);

// One receive buffer per thread: a connection only borrows it while it parses what it read.
std::vector<char>& receive_buffer() {
  thread_local std::vector<char> buffer(kReceiveBuffer);
  return buffer;
}

std::uint64_t random_word() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}
}  // namespace

Target parse_target(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "ws")
    throw std::runtime_error("target \"" + url + "\": expected ws://HOST:PORT/PATH");
  Target t;
  t.url = url;
  std::string host(u->host());
  std::string port = u->has_port() ? std::string(u->port()) : "80";
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, port);
  if (results.empty()) throw std::runtime_error("target \"" + url + "\": cannot resolve " + host);
  t.endpoint = *results.begin();
  t.host = host + ":" + port;
  t.path = u->encoded_path().empty() ? "/" : std::string(u->encoded_path());
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  return t;
}

std::string probe(const Target& target, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  std::optional<error_code> result;
  socket.async_connect(target.endpoint, [&](error_code ec) { result = ec; });
  ioc.run_for(timeout);
  if (!result) return "no answer within " + std::to_string(timeout.count() / 1000) + "s";
  return *result ? result->message() : "";
}

BotConnection::BotConnection(asio::io_context& ioc, Stats& stats, const Target& target,
                             std::string source_ip, std::int64_t connect_timeout_ms)
    : socket_(ioc),
      timer_(ioc),
      stats_(stats),
      target_(target),
      source_ip_(std::move(source_ip)),
      small_buffer_(new char[kSmallBuffer]),
      connect_timeout_ms_(connect_timeout_ms),
      received_(&stats.slot("messages_received")),
      received_bytes_(&stats.slot("bytes_received")),
      sent_(&stats.slot("messages_sent")),
      sent_bytes_(&stats.slot("bytes_sent")),
      mask_(static_cast<std::uint32_t>(random_word()) | 1) {}

void BotConnection::connect(std::function<void(bool)> done) {
  connect_done_ = std::move(done);
  started_ = std::chrono::steady_clock::now();
  state_ = State::connecting;
  stats_.inc("connect_attempts");
  error_code ec;
  socket_.open(target_.endpoint.protocol(), ec);
  if (!ec && !source_ip_.empty()) {
    socket_.set_option(asio::socket_base::reuse_address(true), ec);
    socket_.bind(tcp::endpoint(asio::ip::make_address(source_ip_), 0), ec);
  }
  if (ec) return handshake_done(false, "connect_failed");
  timer_.expires_after(std::chrono::milliseconds(connect_timeout_ms_));
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec) return;
    if (self->state_ == State::connecting) self->handshake_done(false, "connect_failed");
    if (self->state_ == State::handshaking) self->handshake_done(false, "handshake_failed");
  });
  socket_.async_connect(target_.endpoint, [self = shared_from_this()](error_code ec) {
    if (self->state_ != State::connecting) return;
    if (ec) return self->handshake_done(false, "connect_failed");
    error_code ignored;
    self->socket_.set_option(tcp::no_delay(true), ignored);
    self->socket_.non_blocking(true, ignored);
    self->state_ = State::handshaking;
    self->key_ = ws::make_key(random_word(), random_word());
    std::string path = self->target_.path;
    if (!self->query.empty())  // the target may carry a query of its own
      path += (path.find('?') == std::string::npos ? "?" : "&") + self->query.substr(1);
    auto request =
        std::make_shared<std::string>(ws::upgrade_request(self->target_.host, path, self->key_));
    asio::async_write(self->socket_, asio::buffer(*request),
                      [self, request](error_code ec, std::size_t) {
                        if (self->state_ != State::handshaking) return;
                        if (ec) return self->handshake_done(false, "handshake_failed");
                        self->await_readable();
                      });
  });
}

void BotConnection::handshake_done(bool ok, const char* error) {
  timer_.cancel();
  if (ok) {
    state_ = State::open;
    stats_.inc("connections");
    stats_.latency("connect_latency", std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now() - started_)
                                          .count());
  } else {
    stats_.error(error);
    state_ = State::finished;
    error_code ignored;
    socket_.close(ignored);
    on_message = nullptr;
    on_close = nullptr;
  }
  if (auto done = std::move(connect_done_)) done(ok);
  if (ok) flush();
}

// Waits with a read into the connection's small buffer rather than a bare readiness wait: Asio
// re-arms a bare wait with an epoll_ctl call every time, while a read is tried at once and
// otherwise parked on the registration the socket already has.
void BotConnection::await_readable() {
  // Inside the read handler the buffer is still being parsed: a new read now could land in it
  // at once (Asio tries reads speculatively). The handler re-arms when it is done.
  if (awaiting_ || handling_read_ || paused_ || state_ == State::finished) return;
  awaiting_ = true;
  socket_.async_read_some(
      asio::buffer(small_buffer_.get(), kSmallBuffer),
      [self = shared_from_this()](error_code ec, std::size_t n) {
        self->awaiting_ = false;
        if (self->state_ == State::finished) return;
        if (ec) return self->closed(self->state_ == State::closing ? 1000 : self->peer_close_code_);
        self->handling_read_ = true;
        bool more = self->ingest(std::string_view(self->small_buffer_.get(), n));
        if (more && n == kSmallBuffer) self->drain();
        self->handling_read_ = false;
        if (self->state_ == State::finished) return;
        self->flush();  // pongs and close replies
        self->await_readable();
      });
}

// More than the small buffer was waiting: read the rest into the thread's big buffer, a few
// reads at most so that no bot starves the others.
void BotConnection::drain() {
  auto& buffer = receive_buffer();
  for (int round = 0; round < 4 && !paused_ && state_ != State::finished; ++round) {
    error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return;
    if (ec) return closed(state_ == State::closing ? 1000 : peer_close_code_);
    if (!ingest(std::string_view(buffer.data(), n)) || n < buffer.size()) return;
  }
}

// Handles what was read; false once the connection is finished.
bool BotConnection::ingest(std::string_view bytes) {
  *received_bytes_ += bytes.size();
  if (state_ == State::handshaking) {
    read_handshake(bytes);
  } else if (in_.empty()) {
    std::size_t used = consume(bytes);
    if (state_ == State::finished) return false;
    in_.assign(bytes.substr(used));
  } else {
    in_.append(bytes);
    std::size_t used = consume(in_);
    if (state_ == State::finished) return false;
    in_.erase(0, used);
  }
  if (in_.empty() && in_.capacity() > (64 << 10)) std::string().swap(in_);
  return state_ != State::finished;
}

void BotConnection::read_handshake(std::string_view bytes) {
  in_.append(bytes);
  std::size_t head = 0;
  std::string why;
  switch (ws::check_upgrade_response(in_, key_, head, why)) {
    case ws::Handshake::incomplete:
      return;
    case ws::Handshake::refused:
      return handshake_done(false, "handshake_failed");
    case ws::Handshake::accepted:
      break;
  }
  std::string rest = in_.substr(head);
  in_.clear();
  handshake_done(true, "");
  if (state_ != State::open) return;
  std::size_t used = consume(rest);
  if (state_ != State::finished) in_.assign(rest, used);
}

std::size_t BotConnection::consume(std::string_view data) {
  std::size_t used = 0;
  while (state_ == State::open || state_ == State::closing) {
    auto f = ws::parse_frame(data.substr(used), kMaxMessage);
    if (f.status == ws::Frame::Status::incomplete) break;
    if (f.status == ws::Frame::Status::error) {
      stats_.error("ws_protocol_error");
      closed(1002);
      break;
    }
    used += f.size;
    switch (f.op) {
      case ws::Opcode::text:
      case ws::Opcode::binary:
      case ws::Opcode::continuation:
        if (!f.fin || !fragments_.empty()) {
          fragments_.append(f.payload);
          if (!f.fin) break;
          ++*received_;
          std::string message = std::move(fragments_);
          fragments_.clear();
          deliver(message);
        } else {
          ++*received_;
          deliver(f.payload);
        }
        break;
      case ws::Opcode::ping:
        ws::append_frame(out_, ws::Opcode::pong, f.payload, mask_ = mask_ * 1664525 + 1013904223);
        break;
      case ws::Opcode::pong:
        break;
      case ws::Opcode::close:
        peer_close_code_ = ws::close_code(f.payload);
        if (state_ == State::open)  // echo the close; best effort, the socket closes next
          ws::append_frame(out_, ws::Opcode::close, f.payload.substr(0, 2), mask_);
        flush();
        closed(state_ == State::closing ? 1000 : peer_close_code_);
        break;
    }
  }
  return used;
}

// The callback may close this connection (or drop its owner): it is not destroyed while it runs.
void BotConnection::deliver(std::string_view message) {
  if (!on_message || state_ != State::open) return;
  delivering_ = true;
  on_message(message);
  delivering_ = false;
  if (state_ == State::finished) on_message = nullptr;
}

void BotConnection::send(std::string_view text) {
  if (state_ == State::finished || state_ == State::closing) return;
  mask_ = mask_ * 1664525 + 1013904223;  // a fresh mask per frame, as the protocol asks
  ws::append_frame(out_, ws::Opcode::text, text, mask_);
  ++*sent_;
  flush();
}

// Writes what the socket takes now; the rest goes in one asynchronous write, and whatever is sent
// meanwhile waits for it and leaves in the next one.
void BotConnection::flush() {
  if (writing_active_ || out_.empty()) return;
  if (state_ != State::open && state_ != State::closing) return;
  error_code ec;
  std::size_t n = socket_.write_some(asio::buffer(out_), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    out_.clear();
    socket_.close(ec);  // the pending read wait reports it
    return;
  }
  *sent_bytes_ += n;
  out_.erase(0, n);
  if (out_.empty()) return;
  writing_active_ = true;
  writing_.swap(out_);
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](error_code ec, std::size_t n) {
                      self->writing_active_ = false;
                      self->writing_.clear();
                      if (ec) return;  // the read side sees the broken connection
                      *self->sent_bytes_ += n;
                      self->flush();
                    });
}

void BotConnection::pause_reading(std::int64_t ms) {
  if (state_ != State::open) return;
  paused_ = true;
  timer_.expires_after(std::chrono::milliseconds(ms));
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->state_ == State::finished) return;
    self->paused_ = false;
    self->await_readable();
  });
}

void BotConnection::close() {
  if (state_ != State::open) return;
  std::string code{'\x03', '\xE8'};  // 1000
  mask_ = mask_ * 1664525 + 1013904223;
  ws::append_frame(out_, ws::Opcode::close, code, mask_);
  state_ = State::closing;
  paused_ = false;
  flush();
  await_readable();
  timer_.expires_after(kCloseWait);
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec && self->state_ == State::closing) self->closed(1000);
  });
}

void BotConnection::drop() {
  if (state_ != State::open) return;
  closed(1006);
}

void BotConnection::closed(std::uint16_t code) {
  if (state_ == State::finished) return;
  state_ = State::finished;
  timer_.cancel();
  error_code ignored;
  socket_.close(ignored);
  out_.clear();
  // Callbacks may hold their owners: drop them when done (on_message after it returns, if it is
  // the one closing).
  if (!delivering_) on_message = nullptr;
  if (auto cb = std::move(on_close)) {
    on_close = nullptr;
    cb(code);
  }
}

}  // namespace roomctl::loadgen
