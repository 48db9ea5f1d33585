// The server's side of WebSocket framing: masked client frames in (ws::MessageReader: any split of
// the bytes, fragments, control frames between fragments, limits, UTF-8, protocol errors) and
// unmasked server headers out. Pure code, against frames built by the client-side encoder.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "server/protocol/ws_codec.hpp"
#include "server/protocol/ws_reader.hpp"

using namespace roomctl;
using Kind = ws::MessageReader::Kind;

namespace {
std::string client_frame(ws::Opcode op, std::string_view payload, bool fin = true) {
  std::string out;
  ws::append_frame(out, op, payload, 0xA1B2C3D4);
  if (!fin) out[0] = static_cast<char>(static_cast<unsigned char>(out[0]) & 0x7F);
  return out;
}

struct Collect : ws::MessageReader::Handler {
  std::vector<std::pair<Kind, std::string>> got;
  bool stop_after_first = false;
  bool on_message(Kind kind, std::string_view payload) override {
    got.emplace_back(kind, std::string(payload));
    return !stop_after_first;
  }
};

// Feeds `bytes` in reads of `step` bytes; returns the error, if any.
std::optional<ws::MessageReader::Error> feed(ws::MessageReader& r, Collect& c,
                                             const std::string& bytes, std::size_t step) {
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    std::string chunk = bytes.substr(at, step);
    if (auto e = r.feed(chunk.data(), chunk.size(), c)) return e;
  }
  return std::nullopt;
}
}  // namespace

TEST_CASE("ws reader: messages come out whole whatever the reads", "[ws]") {
  std::string stream = client_frame(ws::Opcode::text, R"({"type":"a"})") +
                       client_frame(ws::Opcode::text, std::string(300, 'b')) +
                       client_frame(ws::Opcode::text, std::string(70000, 'c')) +
                       client_frame(ws::Opcode::ping, "p1");
  for (std::size_t step :
       {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{4096}, stream.size()}) {
    ws::MessageReader r(1 << 20);
    Collect c;
    REQUIRE_FALSE(feed(r, c, stream, step));
    REQUIRE(c.got.size() == 4);
    CHECK(c.got[0] == std::make_pair(Kind::text, std::string(R"({"type":"a"})")));
    CHECK(c.got[1].second == std::string(300, 'b'));
    CHECK(c.got[2].second == std::string(70000, 'c'));
    CHECK(c.got[3] == std::make_pair(Kind::ping, std::string("p1")));
    CHECK(r.held_bytes() == 0);  // nothing kept once every frame is complete
  }
}

TEST_CASE("ws reader: fragments are assembled, control frames may come between", "[ws]") {
  std::string stream = client_frame(ws::Opcode::text, "{\"x\":", false) +
                       client_frame(ws::Opcode::ping, "") +
                       client_frame(ws::Opcode::continuation, "\"\xc3", false) +
                       client_frame(ws::Opcode::continuation, "\xa9\"}");
  ws::MessageReader r(1024);
  Collect c;
  REQUIRE_FALSE(feed(r, c, stream, 3));
  REQUIRE(c.got.size() == 2);
  CHECK(c.got[0].first == Kind::ping);
  // A code point split over two fragments is valid once assembled.
  CHECK(c.got[1] == std::make_pair(Kind::text, std::string("{\"x\":\"\xc3\xa9\"}")));
}

TEST_CASE("ws reader: protocol errors name their close code", "[ws]") {
  auto error_of = [](const std::string& stream, std::size_t max = 100) {
    ws::MessageReader r(max);
    Collect c;
    auto e = feed(r, c, stream, 5);
    REQUIRE(e);
    CHECK_FALSE(r.active());
    CHECK(r.held_bytes() == 0);
    return std::string(e->label) + " " + std::to_string(e->close_code);
  };
  std::string unmasked = std::string("\x81\x02", 2) + "hi";
  CHECK(error_of(unmasked) == "protocol_error 1002");
  CHECK(error_of(client_frame(ws::Opcode::continuation, "x")) == "protocol_error 1002");
  CHECK(error_of(client_frame(ws::Opcode::text, "a", false) +
                 client_frame(ws::Opcode::text, "b")) == "protocol_error 1002");
  std::string reserved = client_frame(ws::Opcode::text, "x");
  reserved[0] = static_cast<char>(reserved[0] | 0x40);  // RSV1: no extension was negotiated
  CHECK(error_of(reserved) == "protocol_error 1002");
  CHECK(error_of(client_frame(ws::Opcode::text, "\xff")) == "bad_utf8 1007");
  CHECK(error_of(client_frame(ws::Opcode::text, std::string(101, 'x'))) == "message_too_big 1009");
  // The limit applies to the assembled message too, not only to each frame.
  CHECK(error_of(client_frame(ws::Opcode::text, std::string(60, 'x'), false) +
                 client_frame(ws::Opcode::continuation, std::string(60, 'x'))) ==
        "message_too_big 1009");
  // A frame announcing more than the limit is refused from its header, before its payload.
  std::string header_only = client_frame(ws::Opcode::text, std::string(5000, 'x')).substr(0, 8);
  CHECK(error_of(header_only) == "message_too_big 1009");
  // So is a continuation that would pass what is left of its message's budget: the reader never
  // holds more than one message's limit (plus a header) for a fragmented message.
  std::string first = client_frame(ws::Opcode::text, std::string(60, 'x'), false);
  std::string next_header =
      client_frame(ws::Opcode::continuation, std::string(60, 'x')).substr(0, 6);
  CHECK(error_of(first + next_header) == "message_too_big 1009");
  // A ping between the fragments is not held to that budget.
  {
    ws::MessageReader r(100);
    Collect c;
    auto e = feed(r, c,
                  first + client_frame(ws::Opcode::ping, std::string(50, 'p')) +
                      client_frame(ws::Opcode::continuation, std::string(40, 'x')),
                  7);
    CHECK_FALSE(e);
  }
}

TEST_CASE("ws reader: held bytes stay within the limit plus one control frame", "[ws]") {
  // A fragmented message that fills its whole budget, then a ping trickled in byte by byte: the
  // reader holds both, and that is the most it ever holds (found by fuzz_ws_reader, whose old
  // bound forgot the control frame).
  const std::size_t max = 160;
  std::string stream = client_frame(ws::Opcode::text, std::string(max, 'x'), false) +
                       client_frame(ws::Opcode::ping, std::string(125, 'p')) +
                       client_frame(ws::Opcode::continuation, "");
  ws::MessageReader r(max);
  Collect c;
  std::size_t most = 0;
  for (std::size_t at = 0; at < stream.size(); ++at) {
    std::string one = stream.substr(at, 1);
    REQUIRE_FALSE(r.feed(one.data(), one.size(), c));
    most = std::max(most, r.held_bytes());
  }
  CHECK(most > max + 14);  // the case the bound must cover
  CHECK(most <= max + ws::MessageReader::kMaxHeldOverLimit);
  REQUIRE(c.got.size() == 2);
  CHECK(c.got[0] == std::make_pair(Kind::ping, std::string(125, 'p')));
  CHECK(c.got[1] == std::make_pair(Kind::text, std::string(max, 'x')));
  CHECK(r.held_bytes() == 0);
}

TEST_CASE("ws reader: binary and close frames are reported, a stop is honoured", "[ws]") {
  ws::MessageReader r(100);
  Collect c;
  c.stop_after_first = true;
  std::string stream = client_frame(ws::Opcode::binary, std::string("\0\1", 2)) +
                       client_frame(ws::Opcode::text, "after");
  REQUIRE_FALSE(feed(r, c, stream, stream.size()));
  REQUIRE(c.got.size() == 1);  // nothing after the handler said stop
  CHECK(c.got[0].first == Kind::binary);
  CHECK_FALSE(r.active());

  ws::MessageReader r2(100);
  Collect c2;
  REQUIRE_FALSE(feed(r2, c2, client_frame(ws::Opcode::close, ws::close_payload(1001, "bye")), 1));
  REQUIRE(c2.got.size() == 1);
  CHECK(ws::close_code(c2.got[0].second) == 1001);
}

TEST_CASE("ws codec: server headers and close payloads", "[ws]") {
  unsigned char h[10];
  for (std::size_t n : {std::size_t{0}, std::size_t{125}, std::size_t{126}, std::size_t{65535},
                        std::size_t{65536}}) {
    std::size_t len = ws::server_header(h, ws::Opcode::text, n);
    CHECK(len == ws::server_header_size(n));
    std::string frame(reinterpret_cast<char*>(h), len);
    frame += std::string(n, 'z');
    auto f = ws::parse_frame(frame, 1 << 20, ws::Sender::server);
    REQUIRE(f.status == ws::Frame::Status::complete);
    CHECK(f.fin);
    CHECK(f.payload.size() == n);
    CHECK(f.size == frame.size());
  }
  // A reason is cut between code points to fit a control frame.
  std::string reason;
  for (int i = 0; i < 61; ++i) reason += "\xc3\xa9";  // 122 bytes of two-byte letters
  reason += "\xe4\xb8\xad";                           // a 3-byte letter that does not fit
  auto p = ws::close_payload(4002, reason);
  CHECK(ws::close_code(p) == 4002);
  CHECK(p.size() == 2 + 122);  // the cut falls before the 3-byte letter, not inside it
  // Masking is its own inverse at any offset.
  std::string text = "hello, masking world";
  std::string copy = text;
  ws::apply_mask(copy.data(), 5, 0x01020304, 0);
  ws::apply_mask(copy.data() + 5, copy.size() - 5, 0x01020304, 5);
  CHECK(copy != text);
  ws::apply_mask(copy.data(), copy.size(), 0x01020304, 0);
  CHECK(copy == text);
}

TEST_CASE("upgrade response: the first well-formed subprotocol offered is echoed", "[ws]") {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  auto plain = ws::upgrade_response(key, "");
  CHECK(plain.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  CHECK(plain.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  CHECK(plain.find("Sec-WebSocket-Protocol") == std::string::npos);
  CHECK(plain.size() >= 4);
  CHECK(plain.substr(plain.size() - 4) == "\r\n\r\n");
  CHECK(ws::upgrade_response(key, "chat, superchat").find("Sec-WebSocket-Protocol: chat\r\n") !=
        std::string::npos);
  // Blanks around names are not part of them; a malformed name is skipped, never echoed.
  CHECK(ws::upgrade_response(key, " \t, bad name\r\nX: y ,  v2 ")
            .find("Sec-WebSocket-Protocol: v2\r\n") != std::string::npos);
  CHECK(ws::upgrade_response(key, "a b, ,").find("Sec-WebSocket-Protocol") == std::string::npos);
}
