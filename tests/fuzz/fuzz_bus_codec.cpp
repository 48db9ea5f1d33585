// Fuzzes the cluster bus codec with arbitrary bytes (what any process that can PUBLISH into a
// node's inbox can send), then drives the batcher and the gap detector with what it decoded.
// Invariants: decode never crashes and throws nothing but BusDecodeError; whatever it accepts
// encodes to bytes that decode to the same message and encode again identically (one canonical
// form); the batcher loses no admitted frame, keeps every message under its size limit (unless
// a single item is larger) and numbers each (room, node) stream upwards; the gap detector
// delivers each of those frames in order.
#include <map>

#include "server/cluster/bus_batcher.hpp"
#include "server/cluster/bus_codec.hpp"
#include "server/cluster/gap_detector.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace roomctl::cluster;
using roomctl::fuzz::violated;

namespace {
bool same(const BusMessage& a, const BusMessage& b) {
  if (a.from != b.from || a.tick != b.tick || a.frames.size() != b.frames.size() ||
      a.inputs.size() != b.inputs.size() || a.controls.size() != b.controls.size())
    return false;
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    const auto &x = a.frames[i], &y = b.frames[i];
    if (x.room != y.room || x.epoch != y.epoch || x.seq != y.seq || x.users != y.users ||
        *x.payload != *y.payload)
      return false;
  }
  for (std::size_t i = 0; i < a.inputs.size(); ++i)
    if (a.inputs[i].room != b.inputs[i].room || a.inputs[i].user != b.inputs[i].user ||
        a.inputs[i].payload != b.inputs[i].payload || a.inputs[i].gateway != b.inputs[i].gateway ||
        a.inputs[i].hops != b.inputs[i].hops)
      return false;
  for (std::size_t i = 0; i < a.controls.size(); ++i)
    if (a.controls[i].key != b.controls[i].key || a.controls[i].type != b.controls[i].type ||
        a.controls[i].body != b.controls[i].body)
      return false;
  return true;
}

void drive_batcher(const BusMessage& m) {
  BatcherLimits limits;
  limits.max_message_bytes = 256;
  limits.max_pending_bytes = 4096;
  BusBatcher batcher("self", limits);
  std::size_t admitted = 0;
  for (const auto& f : m.frames) {
    // The frame's own room and epoch, to a destination picked from its seq.
    std::string node = "n" + std::to_string(f.seq % 3);
    std::uint64_t before = batcher.dropped();
    batcher.add_frame(node, f.room, f.epoch, f.users, f.payload);
    if (batcher.dropped() == before) ++admitted;
  }
  std::size_t got = 0;
  std::map<std::string, GapDetector> gaps;
  std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::uint64_t>> last;
  for (const auto& out : batcher.take()) {
    auto back = decode(out.bytes);
    if (out.bytes.size() > limits.max_message_bytes && back.frames.size() > 1)
      violated("batches stay under the size limit", out.node);
    for (const auto& f : back.frames) {
      // Within one epoch a (room, node) stream only goes up; a new epoch starts a new stream.
      auto [it, fresh] = last.try_emplace({out.node, f.room}, f.epoch, f.seq);
      if (!fresh) {
        if (it->second.first == f.epoch && f.seq <= it->second.second)
          violated("sequences increase per (room, node)", f.room);
        it->second = {f.epoch, f.seq};
      }
      ++got;
    }
  }
  if (got != admitted) violated("no admitted frame is lost", std::to_string(got));
  if (batcher.dropped() == 0) {
    // Nothing dropped: a fresh receiver sees every stream in order.
    BusBatcher again("self", {1 << 20, 1 << 24});
    GapDetector g;
    for (const auto& f : m.frames) {
      auto seq = again.add_frame("n", f.room, 1, {}, f.payload);
      if (!g.observe(f.room, 1, seq).deliver()) violated("in-order frames are delivered", f.room);
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  BusMessage m;
  try {
    m = decode(bytes);
  } catch (const BusDecodeError&) {
    return 0;
  }
  auto once = encode(m);
  BusMessage back;
  try {
    back = decode(once);
  } catch (const BusDecodeError& e) {
    violated("an encoded message decodes", e.what());
  }
  if (!same(m, back)) violated("decode(encode(m)) == m", once);
  if (encode(back) != once) violated("encoding is canonical", once);
  drive_batcher(m);
  return 0;
}
