// The bus over Redis pub/sub: each node subscribes to its inbox channel <prefix>n:<node>, and a
// tick's batched messages (BusBatcher::take) are published in one round trip. Pub/sub is
// at-most-once: a message published while the receiver is reconnecting is lost, which the
// receiver learns from the frame sequences (GapDetector) and from on_resubscribed (resync every
// room it follows). Control messages that must not be lost are retried by their sender until
// acked, under their idempotency key.
//
// BusPublisher is thread-safe; BusSubscriber runs its own thread, reconnecting with the
// connection's backoff, and calls on_message there with each message's bytes.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/cluster/bus_batcher.hpp"
#include "server/cluster/cluster_keys.hpp"
#include "server/store/redis_connection.hpp"

namespace roomctl::cluster {

class BusPublisher {
 public:
  explicit BusPublisher(store::RedisEndpoint endpoint);
  // One PUBLISH per message, all in one round trip; answers how many subscribers got each
  // (0: the destination is not listening: down, or between two subscriptions).
  std::vector<long long> publish(const std::vector<OutgoingBusMessage>& messages);

 private:
  ClusterKeys keys_;
  std::mutex mutex_;
  store::RedisConnection conn_;
};

class BusSubscriber {
 public:
  using OnMessage = std::function<void(std::string_view bytes)>;
  // on_subscribed runs on the subscriber's thread after every (re)subscription, the first too.
  BusSubscriber(store::RedisEndpoint endpoint, std::string node_id, OnMessage on_message,
                std::function<void()> on_subscribed = {});
  ~BusSubscriber();
  void stop();

  bool subscribed() const { return subscribed_.load(); }
  std::uint64_t received() const { return received_.load(); }
  std::uint64_t subscriptions() const { return subscriptions_.load(); }
  std::uint64_t handler_errors() const { return handler_errors_.load(); }  // on_message threw

 private:
  void run();

  std::string channel_;
  store::RedisConnection conn_;
  OnMessage on_message_;
  std::function<void()> on_subscribed_;
  std::atomic<bool> stopping_{false}, subscribed_{false};
  std::atomic<std::uint64_t> received_{0}, subscriptions_{0}, handler_errors_{0};
  std::thread thread_;
};

}  // namespace roomctl::cluster
