// Client-side checks of `roomctl inspect` arguments, so a typo in --game, --phase, --sort or a
// duration is a usage error (exit 2) that lists the allowed values, before any request is sent.
#pragma once

#include <cstdint>
#include <string>

#include "inspect/inspect.hpp"

namespace roomctl::inspect {

// Empty when the arguments are valid, else the message. Sets interval_ms (0 without --watch).
std::string validate(const InspectArgs& args, std::int64_t& interval_ms);

}  // namespace roomctl::inspect
