// The one timer a game arms at a time: an absolute deadline and the gen it fires with.
// Shared by both games; durations are scaled by the room's time scale here, in one place.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "server/util/clock.hpp"

namespace roomctl::games {

// Arms `deadline` at now + unscaled_ms x scale (at least 1 ms) and bumps `gen`, so that a
// firing armed earlier is recognised as stale.
inline void arm_timer(Millis& deadline, std::uint64_t& gen, Millis now, Millis unscaled_ms,
                      double scale) {
  deadline = now + std::max<Millis>(1, std::llround(static_cast<double>(unscaled_ms) * scale));
  ++gen;
}

inline std::optional<std::pair<Millis, std::uint64_t>> armed_timer(Millis deadline,
                                                                   std::uint64_t gen) {
  if (deadline == 0) return std::nullopt;
  return std::make_pair(deadline, gen);
}

}  // namespace roomctl::games
