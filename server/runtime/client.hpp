// One client connection as the runtime sees it: its outbox and the userId bound to it.
// Owned by the connection; touched only on the connection's executor.
#pragma once

#include <memory>
#include <string>

#include "server/protocol/dialect.hpp"
#include "server/runtime/outbox.hpp"

namespace roomctl::runtime {

struct DmDelivery;

struct Client {
  std::shared_ptr<Outbox> outbox;           // null once the connection is gone
  std::string user;                         // empty until the first message carrying a userId
  std::string proven_user;                  // the user a valid token named, if any
  std::string address;                      // the peer's IP address (per-address limits)
  std::shared_ptr<DmDelivery> dm_delivery;  // this connection's queued-DM delivery, if any
  // The dialect of the latest game frame (docs/protocol.md §dialects); rooms answer in it.
  protocol::Dialect dialect = protocol::Dialect::event_from;

  // A reply to a connection that is already gone is a no-op: every reply goes through here.
  void send(Frame frame) const {
    if (outbox) outbox->send(std::move(frame));
  }
};

}  // namespace roomctl::runtime
