// GapDetector: the verdict for one frame.
#include "server/cluster/gap_detector.hpp"

namespace roomctl::cluster {

GapDetector::Result GapDetector::observe(const std::string& room, std::int64_t epoch,
                                         std::uint64_t seq) {
  auto [it, inserted] = rooms_.try_emplace(room, Stream{epoch, seq});
  if (inserted) return {Verdict::first};
  Stream& s = it->second;
  if (epoch < s.epoch) return {Verdict::stale_epoch};
  if (epoch > s.epoch) {
    // A new owner numbers from 1: anything later means its first frames to us were lost.
    s = Stream{epoch, seq};
    if (seq <= 1) return {Verdict::in_order};
    return {Verdict::gap, seq - 1};
  }
  if (seq <= s.last) return {Verdict::duplicate};
  std::uint64_t missed = seq - s.last - 1;
  s.last = seq;
  if (missed == 0) return {Verdict::in_order};
  return {Verdict::gap, missed};
}

const char* to_string(GapDetector::Verdict v) {
  switch (v) {
    case GapDetector::Verdict::first:
      return "first";
    case GapDetector::Verdict::in_order:
      return "in_order";
    case GapDetector::Verdict::gap:
      return "gap";
    case GapDetector::Verdict::duplicate:
      return "duplicate";
    case GapDetector::Verdict::stale_epoch:
      return "stale_epoch";
  }
  return "?";
}

}  // namespace roomctl::cluster
