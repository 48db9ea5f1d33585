// Benchmark source, not a game server: accepts WebSocket connections, ignores what they send and
// streams drawing frames of the shape roomctl relays at a fixed total rate, so that
// bench/loadgen.sh can measure how many frames one load generator worker receives per core-second
// when the sender is faster than a game server. Each frame's "t" is its intended send time on the
// monotonic clock (like the drawer bots' strokes), so the bots time every frame as they would in
// a real run. --batch frames go to a connection in one write, as a server that gathers the frames
// queued for a connection in one write (corking) sends them under load.
//   firehose --port P --rate FRAMES_PER_S [--batch B] [--seconds S]
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "loadgen/clock.hpp"
#include "server/protocol/ws_codec.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
struct Args {
  int port = 0, batch = 1, seconds = 30;
  double rate = 100000;
};

struct Conn : std::enable_shared_from_this<Conn> {
  explicit Conn(tcp::socket s) : sock(std::move(s)) {}
  tcp::socket sock;
  std::string head, backlog, writing;
  char scratch[4096];
  bool open = false, dead = false, busy = false;

  void read() {
    sock.async_read_some(asio::buffer(scratch),
                         [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                           if (ec) {
                             self->dead = true;
                             return;
                           }
                           if (!self->open) self->handshake(std::string_view(self->scratch, n));
                           self->read();  // after the handshake: whatever the bots send is ignored
                         });
  }

  void handshake(std::string_view bytes) {
    head.append(bytes);
    auto end = head.find("\r\n\r\n");
    if (end == std::string::npos) return;
    auto at = head.find("Sec-WebSocket-Key:");
    if (at == std::string::npos) at = head.find("sec-websocket-key:");
    if (at == std::string::npos) {
      dead = true;
      return;
    }
    auto line_end = head.find("\r\n", at);
    std::string key = head.substr(at + 18, line_end - at - 18);
    while (!key.empty() && key.front() == ' ') key.erase(0, 1);
    write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
        roomctl::ws::accept_key(key) + "\r\n\r\n");
    open = true;
    head.clear();
  }

  void write(std::string_view bytes) {
    if (dead) return;
    if (busy) {
      if (backlog.size() > (8 << 20)) {  // a reader this far behind is dropped
        dead = true;
        boost::system::error_code ignored;
        sock.close(ignored);
        return;
      }
      backlog.append(bytes);
      return;
    }
    boost::system::error_code ec;
    std::size_t n = sock.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec && ec != asio::error::would_block) {
      dead = true;
      return;
    }
    if (n == bytes.size()) return;
    busy = true;
    writing.assign(bytes.substr(n));
    asio::async_write(sock, asio::buffer(writing),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->busy = false;
                        if (ec) {
                          self->dead = true;
                          return;
                        }
                        std::string next = std::move(self->backlog);
                        self->backlog.clear();
                        if (!next.empty()) self->write(next);
                      });
  }
};

// One batch: B drawing frames stamped with the tick's intended time, framed once for every
// connection that is due in that tick.
std::string batch_bytes(int batch, std::int64_t t, std::uint64_t& seq) {
  std::string out, frame;
  char num[24];
  for (int i = 0; i < batch; ++i) {
    frame = R"({"type":"SKRIBBLE_DRAW","EventFrom":"SkribbleGame","t":)";
    frame.append(num, std::to_chars(num, num + sizeof num, t).ptr);
    frame += R"(,"seq":)";
    frame.append(num, std::to_chars(num, num + sizeof num, seq++).ptr);
    frame += R"(,"points":[[812,301],[815,305],[820,311],[826,318],[833,326],[841,335],[850,345],)"
             R"([860,356]],"color":3,"width":8,"userId":"firehose-drawer"})";
    out += '\x81';
    if (frame.size() < 126) {
      out += static_cast<char>(frame.size());
    } else {
      out += static_cast<char>(126);
      out += static_cast<char>(frame.size() >> 8);
      out += static_cast<char>(frame.size() & 0xFF);
    }
    out += frame;
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--port") a.port = std::atoi(argv[i + 1]);
    if (k == "--rate") a.rate = std::atof(argv[i + 1]);
    if (k == "--batch") a.batch = std::max(1, std::atoi(argv[i + 1]));
    if (k == "--seconds") a.seconds = std::atoi(argv[i + 1]);
  }
  asio::io_context ioc;
  tcp::acceptor acceptor(
      ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(a.port)));
  std::vector<std::shared_ptr<Conn>> conns;
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](boost::system::error_code ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true));
        s.non_blocking(true);
        auto c = std::make_shared<Conn>(std::move(s));
        conns.push_back(c);
        c->read();
      }
      accept();
    });
  };
  accept();
  std::printf("READY %d\n", acceptor.local_endpoint().port());
  std::fflush(stdout);

  asio::steady_timer ticker(ioc);
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::seconds(a.seconds);
  auto tick_len = std::chrono::milliseconds(1);
  double due_batches = 0;
  std::uint64_t seq = 0, frames = 0;
  std::size_t cursor = 0;
  std::int64_t tick_no = 0;
  std::function<void()> tick = [&] {
    auto due = t0 + tick_len * ++tick_no;
    ticker.expires_at(due);
    ticker.async_wait([&, due](boost::system::error_code) {
      if (Clock::now() >= end) return ioc.stop();
      due_batches += a.rate / 1000.0 / a.batch;
      std::string bytes;
      while (due_batches >= 1 && !conns.empty()) {
        if (bytes.empty()) bytes = batch_bytes(a.batch, roomctl::loadgen::to_us(due), seq);
        auto& c = conns[cursor++ % conns.size()];
        due_batches -= 1;
        if (!c->open || c->dead) continue;
        c->write(bytes);
        frames += static_cast<std::uint64_t>(a.batch);
      }
      if (due_batches > 1000) due_batches = 1000;  // no connection yet: do not build a burst
      tick();
    });
  };
  tick();
  ioc.run();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("sent %llu frames in %.1f s (%.0f/s) to %zu connections\n",
              static_cast<unsigned long long>(frames), secs, static_cast<double>(frames) / secs,
              conns.size());
}
