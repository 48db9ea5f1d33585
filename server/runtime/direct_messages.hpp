// Direct messages (ORIG's AppChatMessaging) and their offline queue, with the delivery guarantee
// of docs/protocol.md:
// - an online receiver gets the message verbatim; if its connection closes before the frame was
//   written, the message goes to the queue instead of being lost;
// - an offline receiver's message is queued (bounded per receiver: dm.max_queue_messages and
//   dm.max_queue_bytes; a full queue is refused with `dm_queue_full` to the sender);
// - app_opened delivers the queue chunk by chunk (dm.delivery_chunk_*), each chunk only after
//   the previous one was written (or, for clients that asked for acknowledgements, after the
//   client acknowledged it), so a long queue never overflows the receiver's send queue.
// Every store call runs on the StoreWorker: an event loop never waits for the store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server/runtime/client.hpp"
#include "server/store/dm_store.hpp"
#include "server/util/clock.hpp"

namespace roomctl::metrics {
struct ServerMetrics;
}

namespace roomctl::runtime {

class UserDirectory;
class StoreWorker;

struct DmOptions {
  Millis ttl_ms = 30LL * 86'400'000;
  store::QueueLimits queue;  // per receiver
  store::QueueLimits chunk;  // one delivery step
};

// One connection's delivery of its queue, shared by the jobs and callbacks that carry it on.
struct DmDelivery;

class DirectMessages {
 public:
  DirectMessages(DmOptions options, UserDirectory& directory, StoreWorker& worker,
                 metrics::ServerMetrics& metrics);

  // A message from `sender` to `receiver`; `raw` is forwarded verbatim, `queued_payload` (the
  // body with type "queued_message") is what the queue keeps.
  void send(const Client& sender, const std::string& receiver, const Frame& raw,
            std::string queued_payload);
  // app_opened: starts delivering the client's queue. With `acknowledged`, every queued frame
  // carries "queueSeq" and a chunk is deleted only when the client sends queued_ack for it.
  void open(Client& client, bool acknowledged);
  // queued_ack{upTo}: the client took every queued frame up to that seq.
  void acknowledge(Client& client, std::int64_t up_to);

 private:
  void enqueue(const std::string& receiver, std::string payload, std::shared_ptr<Outbox> sender);
  void fetch(const std::shared_ptr<DmDelivery>& d);
  void deliver(const std::shared_ptr<DmDelivery>& d, std::vector<store::QueuedMessage> chunk);
  void error(Outbox* to, const char* code, const char* message);

  DmOptions options_;
  UserDirectory& directory_;
  StoreWorker& worker_;
  metrics::ServerMetrics& metrics_;
};

}  // namespace roomctl::runtime
