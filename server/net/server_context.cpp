// Connection set iteration: copies strong references out of the lock, then calls fn.
#include "server/net/server_context.hpp"

#include <vector>

#include "server/runtime/outbox.hpp"

namespace roomctl::net {

void ServerContext::for_each_connection(const std::function<void(runtime::Outbox&)>& fn) {
  std::vector<std::shared_ptr<runtime::Outbox>> live;
  {
    std::lock_guard lock(connections_mutex);
    live.reserve(connections.size());
    for (auto& [id, weak] : connections)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) fn(*c);
}

}  // namespace roomctl::net
