// Time as the game core sees it: integer milliseconds since the Unix epoch.
// Absolute wall-clock deadlines survive a restart (snapshots store them), unlike steady_clock ones.
#pragma once

#include <chrono>
#include <cstdint>

namespace roomctl {

using Millis = std::int64_t;

inline Millis wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline Millis mono_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace roomctl
