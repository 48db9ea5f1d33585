// JSON text with plain numbers for `roomctl inspect -o json|yaml`. Boost.JSON prints doubles in
// its shortest scientific form (30.0 as 3E1, 0.05 as 5E-2), which jq reads but people and
// YAML-minded scripts do not; these print 30 and 0.05.
#pragma once

#include <boost/json/value.hpp>
#include <string>

namespace roomctl::inspect {

std::string plain_number(double v);  // 30, 0.05, 1764325000.123
std::string plain_json(const boost::json::value& v);

}  // namespace roomctl::inspect
