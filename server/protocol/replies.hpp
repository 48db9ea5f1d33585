// Builders for the server's connection-level replies (errors, ping, ORIG responses).
#pragma once

#include <string>
#include <string_view>

#include "server/protocol/frame.hpp"

namespace roomctl::protocol {

// {"type":"error","code":C,"message":M}
std::string error_json(std::string_view code, std::string_view message);
Frame ping_frame();  // {"type":"ping"}, shared by every connection

}  // namespace roomctl::protocol
