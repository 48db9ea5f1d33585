// `roomctl version`.
#include <iostream>

#include "cmd/commands.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::cmd {

int run_version() {
  std::cout << "roomctl " << ROOMCTL_VERSION << "\n";
  return exit_code::ok;
}

}  // namespace roomctl::cmd
