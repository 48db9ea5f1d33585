// What this binary is: version, git commit, build type, compiler and Boost version. One source
// for `roomctl version`, the man page and the roomctl_build_info metric, so a bug report, a
// scrape and a package can be matched to the same build.
#pragma once

#include <string>

namespace roomctl {

struct BuildInfo {
  std::string version;     // project version, e.g. 0.1.0
  std::string commit;      // short git commit at configure time, "unknown" outside a checkout
  std::string build_type;  // CMAKE_BUILD_TYPE, e.g. RelWithDebInfo
  std::string compiler;    // e.g. "GCC 12.2.0"
  std::string boost;       // e.g. 1.81.0
};

const BuildInfo& build_info();

}  // namespace roomctl
