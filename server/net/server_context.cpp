// Connection set iteration (strong references copied out of the lock, then fn), the send-queue
// budget shedder and the pending-handshake count.
#include "server/net/server_context.hpp"

#include <algorithm>
#include <vector>

#include "server/metrics/server_metrics.hpp"
#include "server/runtime/outbox.hpp"
#include "server/util/log.hpp"

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

void ServerContext::shed_send_queues() {
  std::vector<std::pair<std::size_t, std::shared_ptr<runtime::Outbox>>> by_size;
  {
    std::lock_guard lock(connections_mutex);
    for (auto& [id, weak] : connections)
      if (auto c = weak.lock(); c && c->queued_bytes() > 0)
        by_size.emplace_back(c->queued_bytes(), c);
  }
  std::sort(by_size.begin(), by_size.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  auto target = options.limits.send_queue_total_bytes / 10 * 9;
  auto total = queued_bytes.load();
  std::size_t closed = 0;
  for (auto& [bytes, conn] : by_size) {
    if (total <= target) break;
    conn->close(runtime::close_code::slow_consumer,
                "server send-queue budget exceeded: reading too slowly");
    total -= static_cast<std::int64_t>(bytes);
    ++closed;
  }
  if (closed > 0) {
    metrics.send_queue_budget_sheds.inc(static_cast<double>(closed));
    log::warn("send_queue_budget_shed", {{"closed", std::to_string(closed)},
                                         {"queued_bytes", std::to_string(queued_bytes.load())}});
  }
  shedding = false;
}

HandshakeSlot::HandshakeSlot(ServerContext& ctx) : ctx_(&ctx) {
  ctx_->metrics.pending_handshakes.set(static_cast<double>(++ctx_->pending_handshakes));
}

HandshakeSlot& HandshakeSlot::operator=(HandshakeSlot&& other) noexcept {
  if (this != &other) {
    release();
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

void HandshakeSlot::release() {
  if (!ctx_) return;
  ctx_->metrics.pending_handshakes.set(static_cast<double>(--ctx_->pending_handshakes));
  ctx_ = nullptr;
}

}  // namespace roomctl::net
