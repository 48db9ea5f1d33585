// The cluster's pure parts: the bus codec (round trips, every malformed input refused), the
// per-node batcher (one message per destination per tick, sequences per room and node, the
// budget), the gateway's gap detector and the idempotency filter.
#include <catch2/catch.hpp>

#include "server/cluster/bus_batcher.hpp"
#include "server/cluster/bus_codec.hpp"
#include "server/cluster/gap_detector.hpp"
#include "server/cluster/idempotency_filter.hpp"

using namespace roomctl::cluster;

namespace {
Payload text(const std::string& s) {
  return std::make_shared<const std::string>(s);
}

BusMessage sample() {
  BusMessage m;
  m.from = "node-a";
  m.tick = 42;
  m.frames.push_back({"room1", 3, 7, {"alice", "bob"}, text(R"({"type":"draw","x":1})")});
  m.frames.push_back({"r\xc3\xa9", -1, 0, {}, text("")});  // odd values survive too
  m.frames.push_back({"big", 1LL << 40, ~0ULL, {"u"}, text(std::string(70000, 'z'))});
  m.inputs.push_back({"room1", "carol", R"({"type":"guess","word":"cat"})"});
  m.inputs.push_back({"room2", "dave", "{}", "node-a", 1});  // passed on by a former owner
  m.controls.push_back({"node-a:17", "join", R"({"room":"room1","user":"carol"})"});
  return m;
}

void check_equal(const BusMessage& a, const BusMessage& b) {
  REQUIRE(a.from == b.from);
  REQUIRE(a.tick == b.tick);
  REQUIRE(a.frames.size() == b.frames.size());
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    CHECK(a.frames[i].room == b.frames[i].room);
    CHECK(a.frames[i].epoch == b.frames[i].epoch);
    CHECK(a.frames[i].seq == b.frames[i].seq);
    CHECK(a.frames[i].users == b.frames[i].users);
    CHECK(*a.frames[i].payload == *b.frames[i].payload);
  }
  REQUIRE(a.inputs.size() == b.inputs.size());
  for (std::size_t i = 0; i < a.inputs.size(); ++i) {
    CHECK(a.inputs[i].room == b.inputs[i].room);
    CHECK(a.inputs[i].user == b.inputs[i].user);
    CHECK(a.inputs[i].payload == b.inputs[i].payload);
    CHECK(a.inputs[i].gateway == b.inputs[i].gateway);
    CHECK(a.inputs[i].hops == b.inputs[i].hops);
  }
  REQUIRE(a.controls.size() == b.controls.size());
  for (std::size_t i = 0; i < a.controls.size(); ++i) {
    CHECK(a.controls[i].key == b.controls[i].key);
    CHECK(a.controls[i].type == b.controls[i].type);
    CHECK(a.controls[i].body == b.controls[i].body);
  }
}

std::string decode_error(std::string_view bytes) {
  try {
    decode(bytes);
  } catch (const BusDecodeError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("bus codec: a message round trips, payloads and odd values included", "[cluster]") {
  auto m = sample();
  auto bytes = encode(m);
  check_equal(decode(bytes), m);
  // An empty message is a message too.
  check_equal(decode(encode(BusMessage{"n", 0, {}, {}, {}})), BusMessage{"n", 0, {}, {}, {}});
  // A shared payload is encoded once per frame, not once per recipient.
  BusMessage many{"n", 1, {}, {}, {}};
  std::vector<std::string> users;
  for (int i = 0; i < 100; ++i) users.push_back("user" + std::to_string(i));
  many.frames.push_back({"r", 1, 1, users, text(std::string(1000, 'p'))});
  CHECK(encode(many).size() < 1000 + 100 * 10 + 64);
}

TEST_CASE("bus codec: every cut of a message and garbage are refused with a reason", "[cluster]") {
  auto bytes = encode(sample());
  // Every proper prefix ends inside some field.
  for (std::size_t n = 0; n < bytes.size(); n += (n < 200 ? 1 : 997)) {
    INFO("prefix of " << n << " bytes");
    CHECK(!decode_error(std::string_view(bytes).substr(0, n)).empty());
  }
  CHECK(decode_error(bytes + "x").find("trailing bytes") != std::string::npos);
  CHECK(decode_error("GET / HTTP/1.1").find("not a bus message") != std::string::npos);
  std::string wrong_version = bytes;
  wrong_version[3] = 9;
  CHECK(decode_error(wrong_version).find("unknown version") != std::string::npos);
  // A forged count far beyond the bytes that follow is refused before anything is allocated.
  std::string forged("RCB\x02\x01n\x00", 7);
  forged += "\xff\xff\xff\xff\xff\xff\xff\xff\x7f";  // frames: 2^63-1
  CHECK(decode_error(forged).find("count passes the end") != std::string::npos);
  std::string overlong("RCB\x02\x01n", 6);
  overlong += std::string(11, '\xff');  // a varint of eleven bytes
  CHECK(decode_error(overlong).find("number is too") != std::string::npos);
}

TEST_CASE("batcher: one message per destination node per tick carrying every frame", "[cluster]") {
  BusBatcher b("owner");
  auto shared = text(R"({"type":"draw"})");
  for (int i = 0; i < 50; ++i) {
    b.add_frame("node-b", "room" + std::to_string(i % 5), 1, {"u1", "u2"}, shared);
    b.add_frame("node-c", "room" + std::to_string(i % 5), 1, {"u3"}, shared);
  }
  b.add_input("node-b", {"room9", "u1", "{}"});
  b.add_control("node-c", {"owner:1", "handover", "{}"});
  auto out = b.take();
  REQUIRE(out.size() == 2);
  CHECK(out[0].node == "node-b");
  CHECK(out[0].frames == 50);
  CHECK(out[0].inputs == 1);
  CHECK(out[1].node == "node-c");
  CHECK(out[1].frames == 50);
  CHECK(out[1].controls == 1);
  auto m = decode(out[0].bytes);
  CHECK(m.from == "owner");
  // Sequences count per (room, destination): room0 got frames 1..10 on node-b.
  std::vector<std::uint64_t> room0;
  for (const auto& f : m.frames)
    if (f.room == "room0") room0.push_back(f.seq);
  CHECK(room0 == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(b.take().empty());  // nothing added since
  CHECK(b.pending_bytes() == 0);
  // The next tick goes on from there.
  CHECK(b.add_frame("node-b", "room0", 1, {"u1"}, shared) == 11);
}

TEST_CASE("batcher: a new epoch restarts a room's sequence, forget_room drops its counters",
          "[cluster]") {
  BusBatcher b("n1");
  auto p = text("x");
  CHECK(b.add_frame("n2", "r", 4, {"u"}, p) == 1);
  CHECK(b.add_frame("n2", "r", 4, {"u"}, p) == 2);
  CHECK(b.add_frame("n3", "r", 4, {"v"}, p) == 1);  // another destination, its own stream
  CHECK(b.add_frame("n2", "r", 5, {"u"}, p) == 1);  // handed over and back: a new stream
  // A frame of an older epoch (its owner lost the room) must not restart the stream: a receiver
  // would see epoch 4's numbers go backwards. It is dropped.
  CHECK(b.add_frame("n2", "r", 4, {"u"}, p) == 0);
  CHECK(b.dropped() == 1);
  CHECK(b.add_frame("n2", "r", 5, {"u"}, p) == 2);
  CHECK(b.rooms_tracked() == 1);
  b.forget_room("r");
  CHECK(b.rooms_tracked() == 0);
}

TEST_CASE("batcher: messages split at the size limit, never dropping a frame", "[cluster]") {
  BatcherLimits limits;
  limits.max_message_bytes = 4096;
  BusBatcher b("n1", limits);
  auto p = text(std::string(1000, 'a'));
  for (int i = 0; i < 20; ++i) b.add_frame("n2", "r", 1, {"u"}, p);
  auto out = b.take();
  REQUIRE(out.size() > 1);
  std::size_t frames = 0;
  std::uint64_t expect = 1;
  for (const auto& o : out) {
    CHECK(o.node == "n2");
    CHECK(o.bytes.size() <= limits.max_message_bytes);
    for (const auto& f : decode(o.bytes).frames) CHECK(f.seq == expect++);
    frames += o.frames;
  }
  CHECK(frames == 20);
}

TEST_CASE("batcher: over the pending budget frames are dropped, and the receiver sees a gap",
          "[cluster]") {
  BatcherLimits limits;
  limits.max_pending_bytes = 3000;
  BusBatcher b("n1", limits);
  auto p = text(std::string(900, 'a'));
  for (int i = 0; i < 6; ++i) b.add_frame("n2", "r", 1, {"u"}, p);
  CHECK(b.dropped() == 3);
  CHECK(b.pending_bytes() <= limits.max_pending_bytes);
  CHECK_FALSE(b.add_input("n2", {"r", "u", std::string(2000, 'i')}));
  auto out = b.take();
  REQUIRE(out.size() == 1);
  GapDetector gaps;
  for (const auto& f : decode(out[0].bytes).frames) CHECK(gaps.observe("r", 1, f.seq).deliver());
  // After the tick the budget is free again; the next frame numbers on past the dropped ones.
  auto seq = b.add_frame("n2", "r", 1, {"u"}, p);
  CHECK(seq == 7);
  auto after = gaps.observe("r", 1, seq);
  CHECK(after.verdict == GapDetector::Verdict::gap);
  CHECK(after.missed == 3);
}

TEST_CASE("gap detector: in order, gaps, duplicates, epochs", "[cluster]") {
  GapDetector g;
  using V = GapDetector::Verdict;
  CHECK(g.observe("r", 2, 5).verdict == V::first);  // joined mid-stream
  CHECK(g.observe("r", 2, 6).verdict == V::in_order);
  CHECK(g.observe("r", 2, 6).verdict == V::duplicate);
  CHECK(g.observe("r", 2, 3).verdict == V::duplicate);
  auto gap = g.observe("r", 2, 9);
  CHECK(gap.verdict == V::gap);
  CHECK(gap.missed == 2);
  CHECK_FALSE(gap.deliver());
  CHECK(g.observe("r", 2, 10).verdict == V::in_order);     // resynchronised: goes on from there
  CHECK(g.observe("r", 1, 11).verdict == V::stale_epoch);  // a fenced-out owner
  CHECK(g.observe("r", 3, 1).verdict == V::in_order);      // a new owner numbers from 1
  auto lost_start = g.observe("s", 1, 1);
  CHECK(lost_start.verdict == V::first);
  auto new_owner_gap = g.observe("s", 2, 4);
  CHECK(new_owner_gap.verdict == V::gap);
  CHECK(new_owner_gap.missed == 3);
  CHECK(g.rooms() == 2);
  g.forget("r");
  CHECK(g.rooms() == 1);
  CHECK(g.observe("r", 1, 50).verdict == V::first);
  CHECK(std::string(to_string(V::stale_epoch)) == "stale_epoch");
}

TEST_CASE("idempotency filter: a key applies once within the window, memory is bounded",
          "[cluster]") {
  IdempotencyFilter f(1000, 100);
  CHECK(f.first_time("a:1", 0));
  CHECK_FALSE(f.first_time("a:1", 10));
  CHECK(f.first_time("a:2", 10));
  CHECK_FALSE(f.first_time("a:1", 999));
  CHECK(f.first_time("a:1", 1000));  // the window passed: forgotten, applied again
  for (int i = 0; i < 1000; ++i) f.first_time("flood:" + std::to_string(i), 1500);
  CHECK(f.size() <= 100);
  CHECK(f.first_time("flood:0", 1500));  // the oldest went first
  CHECK_FALSE(f.first_time("flood:999", 1500));
}

TEST_CASE("batcher: one broadcast's copies for members on one node travel as one frame",
          "[cluster]") {
  BusBatcher b("n1");
  auto p = text("stroke");
  auto q = text("other");
  CHECK(b.add_member_frame("n2", "r", 1, "u1", p) == 1);
  CHECK(b.add_member_frame("n2", "r", 1, "u2", p) == 1);  // same payload, same room: joins it
  CHECK(b.add_member_frame("n3", "r", 1, "u3", p) == 1);  // another node: its own stream
  CHECK(b.add_member_frame("n2", "r", 1, "u1", q) == 2);  // another payload: a new frame
  CHECK(b.add_member_frame("n2", "r", 1, "u2", p) == 3);  // p again, after q: not merged back
  auto out = b.take();
  REQUIRE(out.size() == 2);
  auto m = decode(out[0].bytes);
  REQUIRE(m.frames.size() == 3);
  CHECK(m.frames[0].users == std::vector<std::string>{"u1", "u2"});
  CHECK(*m.frames[0].payload == "stroke");
  CHECK(m.frames[1].users == std::vector<std::string>{"u1"});
  CHECK(m.frames[2].seq == 3);
}
