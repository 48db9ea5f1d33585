// A loaded profile: defaults < YAML file < ROOMCTL_* environment < --set overrides.
// Every error names where the bad value came from (file:line, env var or --set) and the key.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/config/schema.hpp"
#include "server/config/value.hpp"

namespace roomctl::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Settings {
 public:
  explicit Settings(const Schema& schema);

  void load_yaml_file(const std::string& path);
  void load_yaml_text(const std::string& text, const std::string& origin);
  // Applies ROOMCTL_<KEY> variables (dots become underscores, upper case). Unknown ones are ignored
  // because the environment is shared with other programs.
  void apply_environment(char** envp);
  void apply_override(const std::string& assignment);  // "key=value"

  std::int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;
  const std::string& string(const std::string& key) const;
  std::int64_t millis(const std::string& key) const { return integer(key); }
  // Keys under a prefix (used for wildcard maps such as thresholds).
  std::vector<std::string> keys_under(const std::string& prefix) const;
  bool has(const std::string& key) const { return values_.count(key) != 0; }

  std::string to_yaml() const;
  // Every key with its value as text (what a report records as the effective configuration).
  std::map<std::string, std::string> flat() const;

 private:
  struct Entry {
    const Spec* spec;
    Value value;
    std::string origin;
  };
  void set(const std::string& key, const std::string& text, const std::string& origin);
  const Entry& entry(const std::string& key) const;

  const Schema& schema_;
  std::map<std::string, Entry> values_;
};

}  // namespace roomctl::config
