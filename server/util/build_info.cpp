// Build facts from compile definitions set on this file alone (CMakeLists.txt), so a new commit
// recompiles one file instead of the whole library.
#include "server/util/build_info.hpp"

#include <boost/version.hpp>

#ifndef ROOMCTL_GIT_COMMIT
#define ROOMCTL_GIT_COMMIT "unknown"
#endif
#ifndef ROOMCTL_BUILD_TYPE
#define ROOMCTL_BUILD_TYPE "unknown"
#endif

namespace roomctl {

namespace {
std::string compiler() {
#if defined(__clang__)
  return "Clang " + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  return "GCC " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}
}  // namespace

const BuildInfo& build_info() {
  static const BuildInfo info{
      ROOMCTL_VERSION,
      ROOMCTL_GIT_COMMIT,
      ROOMCTL_BUILD_TYPE,
      compiler(),
      std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
          "." + std::to_string(BOOST_VERSION % 100),
  };
  return info;
}

}  // namespace roomctl
