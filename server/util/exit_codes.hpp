// Process exit codes of every roomctl subcommand (README.md documents them).
#pragma once

namespace roomctl::exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;
inline constexpr int usage = 2;              // bad flags, bad profile
inline constexpr int thresholds_failed = 3;  // loadtest: a threshold was not met
}  // namespace roomctl::exit_code
