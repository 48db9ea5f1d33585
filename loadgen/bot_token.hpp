// A bot's proof of its userId for a target that runs auth.mode token: a token signed with the
// target's shared secret, carried in the bot's upgrade URL.
#pragma once

#include <string>

#include "loadgen/loadtest_options.hpp"

namespace roomctl::loadgen {

// The query a bot adds to its upgrade URL: "?token=..." for `user` when a token secret is set.
std::string bot_upgrade_query(const LoadtestOptions& options, const std::string& user);

}  // namespace roomctl::loadgen
