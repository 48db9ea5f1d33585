// The two dialects ORIG's clients speak (docs/protocol.md §dialects). A connection speaks the
// dialect of its latest game frame; rooms answer each member in its own dialect.
#pragma once

#include <cstdint>

namespace roomctl::protocol {

// event_from: every frame names its family in EventFrom (ORIG since its 2025-10-29 revision).
// legacy_app: game frames without EventFrom, as the public spy app sends them (ORIG before
// EventFrom existed); it reads player lists as userId strings and needs a few frames of its own.
enum class Dialect : std::uint8_t { event_from, legacy_app };

}  // namespace roomctl::protocol
