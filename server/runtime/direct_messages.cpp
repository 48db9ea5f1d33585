// Direct messages: live forwarding with a fallback to the queue, bounded queues, chunked delivery.
#include "server/runtime/direct_messages.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>

#include "server/metrics/server_metrics.hpp"
#include "server/protocol/replies.hpp"
#include "server/runtime/store_worker.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/store/state_store.hpp"

namespace roomctl::runtime {

struct DmDelivery {
  std::shared_ptr<Outbox> conn;
  std::string user;
  bool acknowledged = false;
  std::mutex mutex;
  bool active = false;             // a chunk is being fetched, written or waits for its ack
  std::int64_t awaiting_ack = 0;   // acknowledged mode: the last seq of the chunk sent
  std::size_t awaiting_count = 0;  // ... and how many messages it had
};

DirectMessages::DirectMessages(DmOptions options, UserDirectory& directory, StoreWorker& worker,
                               metrics::ServerMetrics& metrics)
    : options_(options), directory_(directory), worker_(worker), metrics_(metrics) {}

void DirectMessages::error(Outbox* to, const char* code, const char* message) {
  metrics_.client_errors.with({code}).inc();
  if (to) to->send(protocol::error_frame(code, message));
}

void DirectMessages::send(const Client& sender, const std::string& receiver, const Frame& raw,
                          std::string queued_payload) {
  if (auto conn = directory_.connection(receiver)) {
    metrics_.dm_sent_online.inc();
    metrics_.frames_queued.with({"dm"}).inc();
    // Forwarded verbatim, as ORIG does. A connection that closes before writing it (it died, was
    // replaced, was too slow) hands the message back: it goes to the queue, not to nowhere.
    conn->send_then(raw, [this, receiver, payload = std::move(queued_payload),
                          sender = sender.outbox](bool written) {
      if (written) return;
      metrics_.dm_requeued.inc();
      enqueue(receiver, payload, sender);  // the sender hears of it if even the queue refuses
    });
    return;
  }
  enqueue(receiver, std::move(queued_payload), sender.outbox);
}

void DirectMessages::enqueue(const std::string& receiver, std::string payload,
                             std::shared_ptr<Outbox> sender) {
  auto job = [this, receiver, payload = std::move(payload), sender](store::StateStore& store) {
    store::PushResult r;
    try {
      r = store.push(receiver, payload, wall_now_ms(), options_.ttl_ms, options_.queue);
    } catch (const std::exception&) {
      // Durable before acknowledged: when the store cannot take it, the sender is told.
      metrics_.store_failures.with({"dm_push"}).inc();
      error(sender.get(), "store_unavailable", "the message could not be queued; try again");
      return;
    }
    if (r == store::PushResult::full) {
      metrics_.refusals.with({"dm_queue"}).inc();
      error(sender.get(), "dm_queue_full",
            "the receiver's message queue is full; the message was not queued");
      return;
    }
    metrics_.dm_queued_total.inc();
  };
  if (!worker_.post(std::move(job))) {
    metrics_.store_failures.with({"dm_push"}).inc();
    error(sender.get(), "store_unavailable", "the message queue is busy; try again");
  }
}

void DirectMessages::open(Client& client, bool acknowledged) {
  if (!client.outbox) return;
  auto& d = client.dm_delivery;
  if (!d) {
    d = std::make_shared<DmDelivery>();
    d->conn = client.outbox;
    d->user = client.user;
  }
  {
    std::lock_guard lock(d->mutex);
    d->acknowledged = d->acknowledged || acknowledged;
    // A delivery under way reads the queue to its end; one that waits for an acknowledgement
    // that never came starts over (the unacknowledged chunk is still queued).
    if (d->active && d->awaiting_ack == 0) return;
    d->active = true;
    d->awaiting_ack = 0;
  }
  fetch(d);
}

void DirectMessages::fetch(const std::shared_ptr<DmDelivery>& d) {
  auto job = [this, d](store::StateStore& store) {
    std::vector<store::QueuedMessage> chunk;
    try {
      chunk = store.pending(d->user, wall_now_ms(), options_.chunk);
    } catch (const std::exception&) {
      metrics_.store_failures.with({"dm_read"}).inc();
      {
        std::lock_guard lock(d->mutex);
        d->active = false;
      }
      error(d->conn.get(), "store_unavailable",
            "queued messages cannot be read right now; try again");
      return;
    }
    deliver(d, std::move(chunk));
  };
  if (!worker_.post(std::move(job))) {
    std::lock_guard lock(d->mutex);
    d->active = false;
    error(d->conn.get(), "store_unavailable", "the message queue is busy; try again");
  }
}

void DirectMessages::deliver(const std::shared_ptr<DmDelivery>& d,
                             std::vector<store::QueuedMessage> chunk) {
  if (chunk.empty()) {
    std::lock_guard lock(d->mutex);
    d->active = false;
    return;
  }
  bool acknowledged;
  {
    std::lock_guard lock(d->mutex);
    acknowledged = d->acknowledged;
  }
  auto frame_of = [&](const store::QueuedMessage& m) {
    if (!acknowledged) return make_frame(m.payload);
    boost::json::error_code ec;
    auto v = boost::json::parse(m.payload, ec);
    if (ec || !v.is_object()) return make_frame(m.payload);
    v.as_object()["queueSeq"] = m.seq;
    return protocol::frame(v.as_object());
  };
  std::int64_t last_seq = chunk.back().seq;
  std::size_t count = chunk.size();
  if (acknowledged) {  // before the frames leave: the client may acknowledge them at once
    std::lock_guard lock(d->mutex);
    d->awaiting_ack = last_seq;
    d->awaiting_count = count;
  }
  for (std::size_t i = 0; i + 1 < chunk.size(); ++i) d->conn->send(frame_of(chunk[i]));
  metrics_.frames_queued.with({"dm"}).inc(static_cast<double>(count));
  d->conn->send_then(
      frame_of(chunk.back()), [this, d, last_seq, count, acknowledged](bool written) {
        if (!written) {  // the connection closed: the queue stays for the next app_opened
          std::lock_guard lock(d->mutex);
          d->active = false;
          return;
        }
        if (acknowledged) return;  // the client says when it has them; until then nothing goes
        bool posted = worker_.post([this, d, last_seq, count](store::StateStore& store) {
          try {
            store.ack(d->user, last_seq);
          } catch (const std::exception&) {  // delivered again next time
            metrics_.store_failures.with({"dm_ack"}).inc();
            std::lock_guard lock(d->mutex);
            d->active = false;
            return;
          }
          metrics_.dm_delivered.inc(static_cast<double>(count));
          fetch(d);
        });
        if (!posted) {
          std::lock_guard lock(d->mutex);
          d->active = false;
        }
      });
}

void DirectMessages::acknowledge(Client& client, std::int64_t up_to) {
  auto d = client.dm_delivery;
  if (!d) return;
  std::size_t count;
  {
    std::lock_guard lock(d->mutex);
    // Only what this connection was sent can be acknowledged: a larger claim is cut down to it.
    if (d->awaiting_ack == 0 || up_to <= 0) return;
    if (up_to < d->awaiting_ack) {
      up_to = std::min(up_to, d->awaiting_ack);
      count = 0;  // a partial ack deletes what it names; the rest comes again next time
    } else {
      up_to = d->awaiting_ack;
      count = d->awaiting_count;
      d->awaiting_ack = 0;
    }
  }
  bool whole_chunk = count > 0;
  bool posted = worker_.post([this, d, up_to, count, whole_chunk](store::StateStore& store) {
    try {
      store.ack(d->user, up_to);
    } catch (const std::exception&) {
      metrics_.store_failures.with({"dm_ack"}).inc();
      return;
    }
    metrics_.dm_delivered.inc(static_cast<double>(count));
    if (whole_chunk) fetch(d);
  });
  if (!posted) error(client.outbox.get(), "store_unavailable", "try the acknowledgement again");
}

}  // namespace roomctl::runtime
