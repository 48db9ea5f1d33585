// The load generator's one clock for timestamps carried in messages: the monotonic clock, in
// microseconds. A bot's message comes back to the same machine (often the same process), so a
// clock that the wall-clock adjustments of NTP cannot move is the right one for latencies.
#pragma once

#include <chrono>
#include <cstdint>

namespace roomctl::loadgen {

inline std::int64_t monotonic_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline std::int64_t to_us(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace roomctl::loadgen
