// Rendering of admin API answers for `roomctl inspect`: tables with human units that fit 80
// columns unless an identifier is longer (identifiers are never cut)
// (colour only on a TTY), or the answer itself as JSON (stable for scripts) or YAML.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>

namespace roomctl::inspect {

enum class Format { table, json, yaml };

struct ViewOptions {
  Format format = Format::table;
  bool color = false;
  bool wide = false;  // -o wide: extra columns and no column cut at all
};

// kind: rooms, room, user, stats, nodes, or action (close/kick/drain results).
std::string render(const std::string& kind, const boost::json::value& answer,
                   const ViewOptions& options);

std::string human_duration(std::int64_t ms);  // 850ms, 12s, 4m05s, 3h12m, 2d04h
std::string human_bytes(double bytes);        // 512 B, 3.2 KB, 3.2 MB, 1.1 GB
std::string to_yaml(const boost::json::value& v);

}  // namespace roomctl::inspect
