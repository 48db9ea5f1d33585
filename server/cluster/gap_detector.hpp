// The gateway's side of the bus's at-most-once delivery, in pure code: per room, the owner's
// epoch and the last sequence number seen. A gap (a lost bus message, or frames the owner dropped
// over its budget) means the room's members on this node may have missed frames: the gateway asks
// the owner for the room's state and sends them a fresh snapshot. Frames from an older epoch come
// from an owner that has been fenced out and are dropped.
//
// Memory is one entry per room that has members on this node: forget() when the last one leaves.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace roomctl::cluster {

class GapDetector {
 public:
  enum class Verdict {
    first,        // the first frame of a room we did not track: accepted (its join sent a state)
    in_order,     // exactly the next one
    gap,          // `missed` frames are missing before this one: resynchronise the room
    duplicate,    // already seen (a replay): drop it
    stale_epoch,  // from an owner older than the one we follow: drop it
  };
  struct Result {
    Verdict verdict;
    std::uint64_t missed = 0;
    bool deliver() const { return verdict == Verdict::first || verdict == Verdict::in_order; }
  };

  Result observe(const std::string& room, std::int64_t epoch, std::uint64_t seq);
  void forget(const std::string& room) { rooms_.erase(room); }
  std::size_t rooms() const { return rooms_.size(); }

 private:
  struct Stream {
    std::int64_t epoch = 0;
    std::uint64_t last = 0;
  };
  std::unordered_map<std::string, Stream> rooms_;
};

const char* to_string(GapDetector::Verdict v);

}  // namespace roomctl::cluster
