// Process exit codes of every roomctl subcommand (README.md documents them).
#pragma once

namespace roomctl::exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;
inline constexpr int usage = 2;              // bad flags, bad profile
inline constexpr int thresholds_failed = 3;  // loadtest: a threshold was not met
inline constexpr int unauthorized = 4;       // inspect: 401 from the admin API
inline constexpr int not_found = 5;          // inspect: no such room or user
inline constexpr int interrupted = 6;        // loadtest: stopped by SIGINT/SIGTERM, report written
inline constexpr int forbidden = 7;          // inspect: 403, the token may not do this
}  // namespace roomctl::exit_code
