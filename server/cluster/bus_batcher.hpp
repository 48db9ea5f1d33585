// Collects one tick's bus traffic and turns it into one bus message per destination node (more
// only when one would pass max_message_bytes). It numbers room frames: a sequence per (room,
// destination node), restarted when the room's epoch changes (a new owner starts a new stream),
// so that the gateway's GapDetector sees exactly the frames meant for its node.
//
// Bounded: past max_pending_bytes a frame is dropped but its sequence number is still used, so
// the receiver sees a gap and resynchronises the room's members with a fresh snapshot, exactly
// as after a message the bus lost. Pure code (no clock, no I/O); one thread uses it (the tick).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/cluster/bus_codec.hpp"

namespace roomctl::cluster {

struct BatcherLimits {
  std::size_t max_message_bytes = 512 * 1024;  // Redis handles far more; latency does not
  std::size_t max_pending_bytes = 8 * 1024 * 1024;
};

struct OutgoingBusMessage {
  std::string node;  // destination
  std::string bytes;
  std::size_t frames = 0, inputs = 0, controls = 0;
};

class BusBatcher {
 public:
  explicit BusBatcher(std::string self, BatcherLimits limits = {});

  // Returns the frame's sequence number (also when the frame was dropped over the budget); 0 for
  // a frame of an epoch older than its stream's (dropped: its owner lost the room).
  std::uint64_t add_frame(const std::string& node, const std::string& room, std::int64_t epoch,
                          std::vector<std::string> users, Payload payload);
  // One member's copy of a room frame: joins the previous frame for `node` when that is the same
  // payload of the same room (a broadcast reaching several members there), else add_frame.
  std::uint64_t add_member_frame(const std::string& node, const std::string& room,
                                 std::int64_t epoch, const std::string& user,
                                 const Payload& payload);
  bool add_input(const std::string& node, MemberInput input);         // false: dropped
  bool add_control(const std::string& node, ControlMessage control);  // false: dropped
  // The tick: everything added since the last take, encoded, in destination order.
  std::vector<OutgoingBusMessage> take();
  // The room ended or moved away: its sequence counters go (the next owner starts new ones).
  void forget_room(const std::string& room);

  std::size_t pending_bytes() const { return pending_bytes_; }
  std::uint64_t dropped() const { return dropped_; }
  std::size_t rooms_tracked() const { return seqs_.size(); }

 private:
  struct Stream {
    std::int64_t epoch = 0;
    std::uint64_t seq = 0;
  };
  bool admit(std::size_t bytes);

  std::string self_;
  BatcherLimits limits_;
  std::uint64_t tick_ = 0;
  std::map<std::string, BusMessage> pending_;  // by destination node, in a stable order
  std::unordered_map<std::string, std::unordered_map<std::string, Stream>> seqs_;  // room, node
  std::size_t pending_bytes_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace roomctl::cluster
