// The one home of outbound frame builders: any JSON object as a shared frame, the error reply,
// the app-level ping. Games, the rooms runtime and the dispatcher all build frames here.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "server/protocol/frame.hpp"

namespace roomctl::protocol {

// A JSON object as an outbound frame: serialised once, shared by every recipient.
Frame frame(const boost::json::object& o);
// {"type":"error","code":C,"message":M}: the one error reply of every layer.
std::string error_json(std::string_view code, std::string_view message);
Frame error_frame(std::string_view code, std::string_view message);
Frame ping_frame();  // {"type":"ping"}, shared by every connection

}  // namespace roomctl::protocol
