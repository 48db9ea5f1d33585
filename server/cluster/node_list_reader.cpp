// NodeListReader: one thread, a bounded list of waiting callbacks, one list() per wake-up.
#include "server/cluster/node_list_reader.hpp"

namespace roomctl::cluster {

NodeListReader::NodeListReader(store::RedisEndpoint endpoint, std::size_t max_pending)
    // The node id is never used: list() reads every node and nothing here writes a lease.
    : lease_(std::move(endpoint), ""), max_pending_(max_pending), thread_([this] { run(); }) {}

NodeListReader::~NodeListReader() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool NodeListReader::post(Done done) {
  {
    std::lock_guard lock(mutex_);
    if (stop_ || pending_.size() >= max_pending_) return false;
    pending_.push_back(std::move(done));
  }
  wake_.notify_one();
  return true;
}

void NodeListReader::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    std::vector<Done> batch;
    batch.swap(pending_);
    if (stop_) {
      lock.unlock();
      for (auto& done : batch) done({}, "shutting down");
      return;
    }
    lock.unlock();
    std::vector<NodeStatus> nodes;
    std::string error;
    try {
      nodes = lease_.list();
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "redis failed";
    }
    for (auto& done : batch) done(nodes, error);
    lock.lock();
  }
}

}  // namespace roomctl::cluster
