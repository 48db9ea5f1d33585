// Schema lookup: exact keys first, then patterns with "*" segments.
#include "server/config/schema.hpp"

#include <sstream>

namespace roomctl::config {
namespace {
std::vector<std::string> split(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  return parts;
}

bool matches(const std::string& pattern, const std::string& key) {
  auto p = split(pattern), k = split(key);
  if (p.size() != k.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != "*" && p[i] != k[i]) return false;
  return true;
}
}  // namespace

Schema& Schema::add(Spec spec) {
  specs_.push_back(std::move(spec));
  return *this;
}

const Spec* Schema::find(const std::string& key) const {
  for (const auto& s : specs_)
    if (s.key == key) return &s;
  for (const auto& s : specs_)
    if (s.key.find('*') != std::string::npos && matches(s.key, key)) return &s;
  return nullptr;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::integer:
      return "an integer";
    case Type::number:
      return "a number";
    case Type::boolean:
      return "true or false";
    case Type::string:
      return "a string";
    case Type::duration:
      return "a duration like 250ms, 30s, 5m, 1h or 30d";
    case Type::bytes:
      return "a size like 65536, 64KiB, 256MiB or 1GiB";
    case Type::address:
      return "host:port";
  }
  return "?";
}

}  // namespace roomctl::config
