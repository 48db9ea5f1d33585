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

// A game duration on the room's clock: unscaled_ms x scale, to the nearest millisecond. Every
// timing a game measures (timers, grace periods, rate windows, time left) goes through here.
inline Millis scaled_ms(Millis unscaled_ms, double scale) {
  return std::llround(static_cast<double>(unscaled_ms) * scale);
}

// Arms `deadline` at now + scaled_ms(unscaled_ms, scale) (at least 1 ms) and bumps `gen`, so
// that a firing armed earlier is recognised as stale.
inline void arm_timer(Millis& deadline, std::uint64_t& gen, Millis now, Millis unscaled_ms,
                      double scale) {
  deadline = now + std::max<Millis>(1, scaled_ms(unscaled_ms, scale));
  ++gen;
}

inline std::optional<std::pair<Millis, std::uint64_t>> armed_timer(Millis deadline,
                                                                   std::uint64_t gen) {
  if (deadline == 0) return std::nullopt;
  return std::make_pair(deadline, gen);
}

}  // namespace roomctl::games
