// /proc readers.
#include "server/util/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace roomctl {

std::int64_t process_rss_bytes() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  in >> pages_total >> pages_rss;
  return static_cast<std::int64_t>(pages_rss) * sysconf(_SC_PAGESIZE);
}

double process_cpu_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(in)), {});
  auto close = all.rfind(')');
  if (close == std::string::npos) return 0;
  // Fields after the command: state(3) ... utime(14) stime(15).
  unsigned long utime = 0, stime = 0;
  std::sscanf(all.c_str() + close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
              &utime, &stime);
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int process_open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  int n = 0;
  while (readdir(d)) ++n;
  closedir(d);
  return n - 3;  // ".", ".." and the directory's own fd
}

std::int64_t process_virtual_bytes() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0;
  in >> pages_total;
  return static_cast<std::int64_t>(pages_total) * sysconf(_SC_PAGESIZE);
}

std::int64_t process_max_fds() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return -1;
  return static_cast<std::int64_t>(rl.rlim_cur);
}

}  // namespace roomctl
