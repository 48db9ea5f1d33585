// Loads a profile with the full precedence chain: schema defaults < YAML file < ROOMCTL_* env <
// --set overrides. Throws ConfigError naming the origin and key.
#pragma once

#include <string>
#include <vector>

#include "server/config/settings.hpp"

namespace roomctl::config {

Settings load_profile(const Schema& schema, const std::string& profile_path,
                      const std::vector<std::string>& overrides, char** envp);

}  // namespace roomctl::config
