// Small helpers shared by the spy game's source files: frames and text trimming.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "server/protocol/frame.hpp"

namespace roomctl::games::spy {

inline Frame msg(const boost::json::object& o) {
  return make_frame(boost::json::serialize(o));
}

inline Frame error_msg(const char* code, const std::string& text) {
  return msg({{"type", "error"}, {"code", code}, {"message", text}});
}

inline std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace roomctl::games::spy
