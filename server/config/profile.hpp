// Loads a profile with the full precedence chain: schema defaults < YAML file < ROOMCTL_* env <
// --set overrides. Throws ConfigError naming the origin and key.
#pragma once

#include <string>
#include <vector>

#include "server/config/settings.hpp"

namespace roomctl::config {

Settings load_profile(const Schema& schema, const std::string& profile_path,
                      const std::vector<std::string>& overrides, char** envp);

// ROOMCTL_<KEY>: the environment variable of a profile key (dots become underscores).
std::string env_name(const std::string& key);

// One warning per ROOMCTL_* variable in envp that is the name of no key of any schema nor one of
// other_names (variables read elsewhere, e.g. ROOMCTL_INSPECT_SERVER), with the nearest name.
// Settings ignore such variables, because one environment serves several roomctl commands; a
// typo would otherwise pass unnoticed.
std::vector<std::string> unknown_environment(char** envp, const std::vector<const Schema*>& schemas,
                                             const std::vector<std::string>& other_names);

}  // namespace roomctl::config
