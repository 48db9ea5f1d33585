// The message types the server itself sends. A direct message is relayed verbatim to its
// receiver, so a DM carrying one of these types would look like a frame from the server (a fake
// game_ended, room_closed or error): such DMs are refused (docs/protocol.md §Direct messages).
#pragma once

#include <string_view>

namespace roomctl::protocol {

// True for every documented outbound type, except "chat": ORIG's own DM type.
bool is_server_type(std::string_view type);

}  // namespace roomctl::protocol
