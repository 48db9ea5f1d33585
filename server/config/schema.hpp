// The description of a profile: every key it may hold, with its type, default and bounds.
// One schema per subcommand (serve, loadtest); a key segment "*" matches any single segment,
// which is how open-ended maps such as loadtest thresholds are declared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace roomctl::config {

enum class Type { integer, number, boolean, string, duration, bytes, address };

struct Spec {
  std::string key;  // dotted path, e.g. "limits.max_connections"
  Type type;
  std::string default_text;  // parsed like a YAML scalar of this type
  std::string help;
  double min = -1e300;  // bounds for integer/number/duration(ms)/bytes
  double max = 1e300;
  std::vector<std::string> choices;  // allowed values for a string, if any
};

class Schema {
 public:
  Schema& add(Spec spec);
  // Exact key first, then a wildcard pattern; nullptr when the key is unknown.
  const Spec* find(const std::string& key) const;
  const std::vector<Spec>& specs() const { return specs_; }

 private:
  std::vector<Spec> specs_;
};

const char* type_name(Type t);

}  // namespace roomctl::config
