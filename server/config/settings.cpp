// Profile loading: walks the YAML tree into dotted keys, checks each against the schema, and
// records where every effective value came from so errors and `roomctl check` can say so.
#include "server/config/settings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "server/config/profile.hpp"

namespace roomctl::config {
namespace {

void walk(const YAML::Node& node, const std::string& prefix, const std::string& origin,
          const std::function<void(const std::string&, const YAML::Node&)>& leaf) {
  if (!node.IsMap()) {
    throw ConfigError(origin + ":" + std::to_string(node.Mark().line + 1) + ": " +
                      (prefix.empty() ? "profile" : prefix) + ": expected a mapping");
  }
  for (const auto& kv : node) {
    if (!kv.first.IsScalar())  // `? [a, b]: x` is valid YAML, but no key of ours
      throw ConfigError(origin + ":" + std::to_string(kv.first.Mark().line + 1) + ": " +
                        (prefix.empty() ? "profile" : prefix) + ": a key must be a plain name");
    std::string name = kv.first.as<std::string>();
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (kv.second.IsMap())
      walk(kv.second, key, origin, leaf);
    else
      leaf(key, kv.second);
  }
}
}  // namespace

Settings::Settings(const Schema& schema) : schema_(schema) {
  for (const auto& spec : schema.specs()) {
    if (spec.key.find('*') != std::string::npos) continue;  // patterns have no default
    set(spec.key, spec.default_text, "default");
  }
}

void Settings::set(const std::string& key, const std::string& text, const std::string& origin) {
  const Spec* spec = schema_.find(key);
  if (!spec) throw ConfigError(origin + ": " + key + ": unknown key");
  Value v;
  std::string err = parse_value(*spec, text, v);
  if (!err.empty()) throw ConfigError(origin + ": " + key + ": " + err);
  values_[key] = Entry{spec, std::move(v), origin};
}

void Settings::load_yaml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open profile");
  std::stringstream ss;
  ss << in.rdbuf();
  load_yaml_text(ss.str(), path);
}

void Settings::load_yaml_text(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return;  // an empty profile keeps every default
  walk(root, "", origin, [&](const std::string& key, const YAML::Node& node) {
    std::string where = origin + ":" + std::to_string(node.Mark().line + 1);
    if (!node.IsScalar()) throw ConfigError(where + ": " + key + ": expected a single value");
    set(key, node.Scalar(), where);
  });
}

void Settings::apply_environment(char** envp) {
  if (!envp) return;
  std::map<std::string, std::string> by_env;
  for (const auto& spec : schema_.specs())
    if (spec.key.find('*') == std::string::npos) by_env[env_name(spec.key)] = spec.key;
  for (char** e = envp; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    auto it = by_env.find(kv.substr(0, eq));
    if (it != by_env.end()) set(it->second, kv.substr(eq + 1), "environment " + it->first);
  }
}

void Settings::apply_override(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key=value");
  set(assignment.substr(0, eq), assignment.substr(eq + 1), "--set");
}

const Settings::Entry& Settings::entry(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw ConfigError("internal: setting " + key + " is not defined");
  return it->second;
}

std::int64_t Settings::integer(const std::string& key) const {
  return std::get<std::int64_t>(entry(key).value);
}
double Settings::number(const std::string& key) const {
  return std::get<double>(entry(key).value);
}
bool Settings::boolean(const std::string& key) const {
  return std::get<bool>(entry(key).value);
}
const std::string& Settings::string(const std::string& key) const {
  return std::get<std::string>(entry(key).value);
}

std::vector<std::string> Settings::keys_under(const std::string& prefix) const {
  std::vector<std::string> keys;
  for (auto it = values_.lower_bound(prefix); it != values_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    keys.push_back(it->first);
  }
  return keys;
}

std::map<std::string, std::string> Settings::flat() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, e] : values_) out[key] = format_value(e.spec->type, e.value);
  return out;
}

std::string Settings::to_yaml() const {
  // values_ is sorted, so keys sharing a prefix are adjacent: emit nested maps by diffing paths.
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::vector<std::string> open;
  for (const auto& [key, e] : values_) {
    std::vector<std::string> parts;
    std::stringstream ss(key);
    for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
    size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common])
      ++common;
    while (open.size() > common) {
      out << YAML::EndMap;
      open.pop_back();
    }
    for (size_t i = common; i + 1 < parts.size(); ++i) {
      out << YAML::Key << parts[i] << YAML::Value << YAML::BeginMap;
      open.push_back(parts[i]);
    }
    out << YAML::Key << parts.back() << YAML::Value << format_value(e.spec->type, e.value);
    out << YAML::Comment(e.origin == "default" ? "default" : "from " + e.origin);
  }
  while (!open.empty()) {
    out << YAML::EndMap;
    open.pop_back();
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace roomctl::config
