// The load generator's own WebSocket framing and its fast frame reader: pure code, checked
// against hand-built frames and against the full JSON parser.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "loadgen/frame_peek.hpp"
#include "loadgen/histogram.hpp"
#include "server/protocol/ws_codec.hpp"

using namespace roomctl;
using namespace roomctl::loadgen;

namespace {
// A server frame (never masked).
std::string server_frame(ws::Opcode op, const std::string& payload, bool fin = true) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(op));
  std::size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(n);
  } else if (n <= 0xFFFF) {
    f += static_cast<char>(126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xFF);
  } else {
    f += static_cast<char>(127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xFF);
  }
  return f + payload;
}
}  // namespace

TEST_CASE("client frames are masked and carry every length form", "[loadgen]") {
  for (std::size_t n : {0u, 5u, 125u, 126u, 70000u}) {
    std::string payload(n, 'x');
    std::string out;
    ws::append_frame(out, ws::Opcode::text, payload, 0x11223344);
    auto b1 = static_cast<unsigned char>(out[1]);
    CHECK((static_cast<unsigned char>(out[0]) & 0x8F) == 0x81);
    CHECK((b1 & 0x80) != 0);  // masked
    std::size_t header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    REQUIRE(out.size() == header + 4 + n);
    // Unmask and compare.
    const auto* key = reinterpret_cast<const unsigned char*>(out.data() + header);
    for (std::size_t i = 0; i < n; ++i)
      REQUIRE((static_cast<unsigned char>(out[header + 4 + i]) ^ key[i & 3]) == 'x');
  }
}

TEST_CASE("server frames parse whole, incomplete or refused", "[loadgen]") {
  std::string two = server_frame(ws::Opcode::text, "{\"a\":1}") +
                    server_frame(ws::Opcode::text, std::string(300, 'y'));
  auto f = ws::parse_frame(two, 1 << 20);
  REQUIRE(f.status == ws::Frame::Status::complete);
  CHECK(f.payload == "{\"a\":1}");
  auto g = ws::parse_frame(std::string_view(two).substr(f.size), 1 << 20);
  REQUIRE(g.status == ws::Frame::Status::complete);
  CHECK(g.payload.size() == 300);
  // Every prefix of a frame is incomplete, never an error.
  for (std::size_t cut = 0; cut < f.size; ++cut)
    CHECK(ws::parse_frame(std::string_view(two).substr(0, cut), 1 << 20).status ==
          ws::Frame::Status::incomplete);
  std::string big = server_frame(ws::Opcode::text, std::string(70000, 'z'));
  CHECK(ws::parse_frame(big, 1 << 20).payload.size() == 70000);
  CHECK(ws::parse_frame(big, 1000).status == ws::Frame::Status::error);
  std::string masked = server_frame(ws::Opcode::text, "hi");
  masked[1] = static_cast<char>(masked[1] | 0x80);
  CHECK(ws::parse_frame(masked + "abcd", 100).status == ws::Frame::Status::error);
  CHECK(ws::parse_frame(std::string("\x83\x00", 2), 100).status == ws::Frame::Status::error);
  std::string close_frame = server_frame(ws::Opcode::close, std::string("\x0f\xa2", 2));
  auto close = ws::parse_frame(close_frame, 100);
  CHECK(ws::close_code(close.payload) == 4002);
  CHECK(ws::close_code("") == 1005);
}

TEST_CASE("the upgrade answer must be 101 with the right accept key", "[loadgen]") {
  // The example key and accept value of the WebSocket specification.
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  std::string ok =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi";
  std::size_t head = 0;
  std::string why;
  CHECK(ws::check_upgrade_response(ok.substr(0, 40), key, head, why) == ws::Handshake::incomplete);
  REQUIRE(ws::check_upgrade_response(ok, key, head, why) == ws::Handshake::accepted);
  CHECK(ok.substr(head) == "\x81\x02hi");
  CHECK(ws::check_upgrade_response(ok, "AAAAAAAAAAAAAAAAAAAAAA==", head, why) ==
        ws::Handshake::refused);
  CHECK(ws::check_upgrade_response("HTTP/1.1 503 Service Unavailable\r\n\r\n", key, head, why) ==
        ws::Handshake::refused);
  CHECK(why.find("503") != std::string::npos);
  CHECK(ws::make_key(1, 2).size() == 24);
}

TEST_CASE("peek reads the top-level type, roomId and t like the full parser", "[loadgen]") {
  FramePeek p;
  REQUIRE(peek_frame(
      R"({"EventFrom":"SkribbleGame","type":"SKRIBBLE_DRAW","t":123456789012,"seq":3,)"
      R"("points":[[1,2],[3,4]],"nested":{"type":"no","t":5,"s":"}]\"{"},"roomId":"r1"})",
      p));
  CHECK(p.type == "SKRIBBLE_DRAW");
  CHECK(p.has_t);
  CHECK(p.t == 123456789012);
  CHECK(p.has_room_id);
  CHECK(p.room_id == "r1");

  FramePeek q;
  REQUIRE(peek_frame(R"( { "type" : "x" , "t" : 1.5 , "roomId" : 7 } )", q));
  CHECK(q.type == "x");
  CHECK_FALSE(q.has_t);  // not an integer: left to the full parser
  CHECK_FALSE(q.has_room_id);

  FramePeek dm;  // a direct message's timestamp is "ts"
  REQUIRE(peek_frame(R"({"EventFrom":"AppChatMessaging","type":"chat","ts":42})", dm));
  CHECK(dm.has_t);
  CHECK(dm.t == 42);

  FramePeek r;
  CHECK(peek_frame("{}", r));
  for (const char* bad : {"", "[]", "{", R"({"type":"x")", R"({"type":"x",})", R"({"a":[1,2})",
                          R"({"a":"unterminated})", R"({"a":1}x)", "{a:1}"}) {
    FramePeek s;
    CHECK_FALSE(peek_frame(bad, s));
  }
}

TEST_CASE("negative latencies are counted, never recorded as zero", "[loadgen]") {
  Histogram h;
  h.record(-5);
  h.record(10);
  CHECK(h.count() == 1);
  CHECK(h.negative() == 1);
  CHECK(h.quantile(0.5) == 10);
  Histogram copy = Histogram::from_json(h.to_json());
  CHECK(copy.negative() == 1);
  copy.merge(h);
  CHECK(copy.negative() == 2);
}
