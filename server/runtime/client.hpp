// One client connection as the runtime sees it: its outbox and the userId bound to it.
// Owned by the connection; touched only on the connection's executor.
#pragma once

#include <memory>
#include <string>

#include "server/runtime/outbox.hpp"

namespace roomctl::runtime {

struct Client {
  std::shared_ptr<Outbox> outbox;
  std::string user;  // empty until the first message carrying a userId
};

}  // namespace roomctl::runtime
