// BusPublisher and BusSubscriber: PUBLISH in a pipeline, SUBSCRIBE on a connection without a
// read timeout (a quiet inbox is normal), ended by interrupt().
#include "server/cluster/bus_transport.hpp"

#include <chrono>

namespace roomctl::cluster {

BusPublisher::BusPublisher(store::RedisEndpoint endpoint)
    : keys_{endpoint.prefix}, conn_(std::move(endpoint)) {}

std::vector<long long> BusPublisher::publish(const std::vector<OutgoingBusMessage>& messages) {
  std::vector<store::RedisConnection::Args> cmds;
  cmds.reserve(messages.size());
  for (const auto& m : messages) cmds.push_back({"PUBLISH", keys_.inbox(m.node), m.bytes});
  std::vector<std::string> errors;
  std::lock_guard lock(mutex_);
  auto replies = conn_.pipeline(cmds, &errors);
  std::vector<long long> out;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (!errors[i].empty()) throw store::RedisError(errors[i]);
    out.push_back(store::reply_integer(replies[i].get()));
  }
  return out;
}

BusSubscriber::BusSubscriber(store::RedisEndpoint endpoint, std::string node_id,
                             OnMessage on_message, std::function<void()> on_subscribed)
    : channel_(ClusterKeys{endpoint.prefix}.inbox(node_id)),
      conn_(std::move(endpoint), 1000, /*read_timeout=*/false),
      on_message_(std::move(on_message)),
      on_subscribed_(std::move(on_subscribed)) {
  thread_ = std::thread([this] { run(); });
}

BusSubscriber::~BusSubscriber() {
  stop();
}

void BusSubscriber::stop() {
  if (stopping_.exchange(true)) return;
  conn_.interrupt();
  if (thread_.joinable()) thread_.join();
}

void BusSubscriber::run() {
  while (!stopping_) {
    try {
      conn_.command({"SUBSCRIBE", channel_});
      subscribed_ = true;
      subscriptions_.fetch_add(1);
      if (on_subscribed_) on_subscribed_();
      while (!stopping_) {
        auto r = conn_.next_reply();  // ["message", channel, payload]
        if (store::reply_string(store::reply_element(r.get(), 0)) != "message") continue;
        std::string bytes = store::reply_string(store::reply_element(r.get(), 2));
        received_.fetch_add(1);
        try {
          on_message_(bytes);
        } catch (const std::exception&) {
          handler_errors_.fetch_add(1);  // one bad message must not end the subscription
        }
      }
    } catch (const std::exception&) {
      // Lost (Redis restarted, or stop() interrupted us): subscribe again after the backoff.
      subscribed_ = false;
      conn_.disconnect();
      if (stopping_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  subscribed_ = false;
}

}  // namespace roomctl::cluster
