// Fuzzes ws::MessageReader, which meets every byte a player's socket delivers, with arbitrary
// bytes cut into arbitrary reads. The first input byte picks the message size limit, the next
// ones the read sizes; the rest is the stream. Invariants: it never crashes; the stream read whole
// and the same stream cut into reads give the same messages and the same error (a read's
// boundaries must never matter); text messages are valid UTF-8; no message and no held state
// exceeds the limit (held state: plus one control frame); after an error nothing more is delivered.
#include <string>
#include <vector>

#include "server/protocol/ws_reader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace roomctl;
using roomctl::fuzz::violated;

namespace {

struct Collector : ws::MessageReader::Handler {
  std::size_t max = 0;
  std::vector<std::pair<ws::MessageReader::Kind, std::string>> got;
  bool on_message(ws::MessageReader::Kind kind, std::string_view payload) override {
    if (payload.size() > max) violated("message within the limit", payload.substr(0, 64));
    if (kind == ws::MessageReader::Kind::text && !fuzz::valid_utf8(payload))
      violated("text messages are valid UTF-8", payload.substr(0, 64));
    got.emplace_back(kind, std::string(payload));
    return true;
  }
};

std::string describe(const std::optional<ws::MessageReader::Error>& e) {
  return e ? std::to_string(e->close_code) + " " + e->label : "none";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  std::size_t max = 1 + data[0] * 4;  // 1 to 1021 bytes: small enough to hit the limit often
  std::vector<std::size_t> cuts;
  for (int i = 1; i < 4; ++i) cuts.push_back(1 + data[i] % 23);
  std::string stream(reinterpret_cast<const char*>(data) + 4, size - 4);

  Collector whole;
  whole.max = max;
  ws::MessageReader one(max);
  std::string copy = stream;
  auto whole_error = one.feed(copy.data(), copy.size(), whole);

  Collector parts;
  parts.max = max;
  ws::MessageReader many(max);
  std::optional<ws::MessageReader::Error> parts_error;
  std::size_t at = 0;
  for (std::size_t i = 0; at < stream.size() && !parts_error; ++i) {
    std::size_t n = std::min(cuts[i % cuts.size()], stream.size() - at);
    std::string chunk = stream.substr(at, n);
    at += n;
    parts_error = many.feed(chunk.data(), chunk.size(), parts);
    if (many.held_bytes() > max + ws::MessageReader::kMaxHeldOverLimit)
      violated("held bytes within the limit", chunk);
  }
  if (describe(whole_error) != describe(parts_error))
    violated("the same error whatever the reads",
             describe(whole_error) + " vs " + describe(parts_error));
  if (whole.got != parts.got)
    violated("the same messages whatever the reads", stream.substr(0, 64));
  if (whole_error && one.active()) violated("an error leaves the reader spent", "");
  return 0;
}
