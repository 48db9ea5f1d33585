// Profile loading in precedence order, and the check of ROOMCTL_* names that match no key.
#include "server/config/profile.hpp"

#include <algorithm>
#include <cctype>

#include "server/util/suggest.hpp"

namespace roomctl::config {

Settings load_profile(const Schema& schema, const std::string& profile_path,
                      const std::vector<std::string>& overrides, char** envp) {
  Settings s(schema);
  if (!profile_path.empty()) s.load_yaml_file(profile_path);
  s.apply_environment(envp);
  for (const auto& o : overrides) s.apply_override(o);
  return s;
}

std::string env_name(const std::string& key) {
  std::string name = "ROOMCTL_";
  for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

std::vector<std::string> unknown_environment(char** envp, const std::vector<const Schema*>& schemas,
                                             const std::vector<std::string>& other_names) {
  std::vector<std::string> known = other_names;
  for (const Schema* schema : schemas)
    for (const auto& spec : schema->specs())
      if (spec.key.find('*') == std::string::npos) known.push_back(env_name(spec.key));
  std::vector<std::string> warnings;
  for (char** e = envp; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    std::string name = kv.substr(0, eq);
    if (name.rfind("ROOMCTL_", 0) != 0) continue;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    warnings.push_back("environment variable " + name + " matches no setting and is ignored" +
                       util::did_you_mean(name, known));
  }
  return warnings;
}

}  // namespace roomctl::config
