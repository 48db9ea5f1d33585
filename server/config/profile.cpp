// Profile loading in precedence order.
#include "server/config/profile.hpp"

namespace roomctl::config {

Settings load_profile(const Schema& schema, const std::string& profile_path,
                      const std::vector<std::string>& overrides, char** envp) {
  Settings s(schema);
  if (!profile_path.empty()) s.load_yaml_file(profile_path);
  s.apply_environment(envp);
  for (const auto& o : overrides) s.apply_override(o);
  return s;
}

}  // namespace roomctl::config
