// Readings of this process from /proc: resident memory, CPU time, open file descriptors.
#pragma once

#include <cstdint>

namespace roomctl {

std::int64_t process_rss_bytes();
double process_cpu_seconds();
int process_open_fds();

}  // namespace roomctl
