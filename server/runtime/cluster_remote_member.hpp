// A user connected to another node, as this node's rooms and features see it: an Outbox whose
// frames travel the bus to that node, which writes them to the user's socket. Room frames carry
// their room (numbered per room and node); a direct message waits for the other node's
// acknowledgement that it was written, so that one lost on the way is queued instead.
#pragma once

#include "server/runtime/cluster_node.hpp"
#include "server/runtime/outbox.hpp"

namespace roomctl::runtime {

class ClusterNode::RemoteMember final : public Outbox {
 public:
  RemoteMember(ClusterNode& node, std::string at, std::string user, std::uint64_t id)
      : cluster_(node), node_(std::move(at)), user_(std::move(user)), id_(id) {}

  void send(Frame frame) override { cluster_.queue_frame(node_, "", user_, frame); }
  void send_in_room(const std::string& room, Frame frame) override {
    cluster_.queue_frame(node_, room, user_, frame);
  }
  void send_then(Frame frame, std::function<void(bool)> done) override {
    cluster_.send_dm(node_, user_, frame, std::move(done));
  }
  void close(std::uint16_t code, std::string reason) override {
    cluster_.queue_control(node_, "close", {{"user", user_}, {"code", code}, {"reason", reason}});
  }
  std::uint64_t id() const override { return id_; }
  bool remote() const override { return true; }
  const std::string& node() const { return node_; }

 private:
  ClusterNode& cluster_;
  std::string node_, user_;
  std::uint64_t id_;
};

}  // namespace roomctl::runtime
