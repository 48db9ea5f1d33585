// Readings of this process from /proc: resident and virtual memory, CPU time, open file
// descriptors and their limit.
#pragma once

#include <cstdint>

namespace roomctl {

std::int64_t process_rss_bytes();
double process_cpu_seconds();
int process_open_fds();
std::int64_t process_virtual_bytes();
std::int64_t process_max_fds();  // the soft RLIMIT_NOFILE; -1 when unlimited

}  // namespace roomctl
