// The cross-node bus message and its binary codec, without I/O (unit-tested and fuzzed).
// One bus message goes from one node to one node's inbox (PUBLISH to <prefix>n:<node>) and
// carries many items of three kinds:
//   frames    owner -> gateway: one room frame for some of the gateway's members, the payload
//             once however many members get it; each carries the room's epoch and a sequence
//             number per (room, destination node) so that the gateway detects a lost message
//   inputs    gateway -> owner: a member's game message, forwarded as received (an owner that
//             handed the room over passes it on, naming the member's gateway and counting hops)
//   controls  request/ack messages (join, leave, hand-over, DM notify...) with an idempotency
//             key, so that a retried request is applied once
// Layout: "RCB" + version byte, then varints and length-prefixed strings (see bus_codec.cpp).
// decode() accepts any bytes: a malformed message is a BusDecodeError naming the problem, never
// a crash or an unbounded allocation (every count and length is checked against the bytes left).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace roomctl::cluster {

using Payload = std::shared_ptr<const std::string>;

struct RoomFrame {
  std::string room;
  std::int64_t epoch = 0;
  std::uint64_t seq = 0;
  std::vector<std::string> users;  // recipients on the destination node
  Payload payload;                 // the frame as the members receive it, shared between them
};

struct MemberInput {
  std::string room;
  std::string user;
  std::string payload;
  std::string gateway;     // the node the member is connected to; "" = the message's sender
  std::uint64_t hops = 0;  // times passed on by a node that no longer owned the room
};

struct ControlMessage {
  std::string key;   // idempotency key: unique per request, repeated on a retry and by its ack
  std::string type;  // e.g. "join", "leave", "handover", "dm_notify", "ack"
  std::string body;  // JSON, as the type defines
};

struct BusMessage {
  std::string from;        // the sending node
  std::uint64_t tick = 0;  // the sender's batch counter (diagnostics)
  std::vector<RoomFrame> frames;
  std::vector<MemberInput> inputs;
  std::vector<ControlMessage> controls;
};

struct BusDecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr std::uint8_t kBusVersion = 2;

std::string encode(const BusMessage& message);
BusMessage decode(std::string_view bytes);  // throws BusDecodeError
// An upper bound of what an item adds to an encoded message (the batcher splits by it).
std::size_t encoded_size(const RoomFrame& f);
std::size_t encoded_size(const MemberInput& i);
std::size_t encoded_size(const ControlMessage& c);

}  // namespace roomctl::cluster
