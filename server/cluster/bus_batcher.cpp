// BusBatcher: sequence numbers, the pending budget and the split by message size.
#include "server/cluster/bus_batcher.hpp"

namespace roomctl::cluster {

BusBatcher::BusBatcher(std::string self, BatcherLimits limits)
    : self_(std::move(self)), limits_(limits) {}

bool BusBatcher::admit(std::size_t bytes) {
  if (pending_bytes_ + bytes > limits_.max_pending_bytes) {
    ++dropped_;
    return false;
  }
  pending_bytes_ += bytes;
  return true;
}

std::uint64_t BusBatcher::add_frame(const std::string& node, const std::string& room,
                                    std::int64_t epoch, std::vector<std::string> users,
                                    Payload payload) {
  Stream& s = seqs_[room][node];
  // A new epoch (a new owner) starts a new stream. A frame of an older epoch than the stream's is
  // from an owner that lost the room: restarting its stream would make a receiver see an old
  // epoch's numbers go backwards, so it is dropped (counted) and numbered 0.
  if (s.seq != 0 && epoch < s.epoch) {
    ++dropped_;
    return 0;
  }
  if (s.seq == 0 || epoch > s.epoch) s = Stream{epoch, 0};
  auto& frames = pending_[node].frames;
  std::uint64_t seq = ++s.seq;
  RoomFrame f{room, epoch, seq, std::move(users), std::move(payload)};
  if (admit(encoded_size(f))) frames.push_back(std::move(f));
  return seq;
}

std::uint64_t BusBatcher::add_member_frame(const std::string& node, const std::string& room,
                                           std::int64_t epoch, const std::string& user,
                                           const Payload& payload) {
  // A broadcast reaches each member on its own: the same payload for the same room, one user
  // after another, is one frame with several users (one sequence number, one payload on the bus).
  auto& frames = pending_[node].frames;
  if (!frames.empty()) {
    RoomFrame& last = frames.back();
    auto s = seqs_.find(room);
    if (last.payload == payload && last.room == room && last.epoch == epoch && s != seqs_.end() &&
        s->second[node].seq == last.seq) {
      if (admit(user.size() + 10)) last.users.push_back(user);
      return last.seq;
    }
  }
  return add_frame(node, room, epoch, {user}, payload);
}

bool BusBatcher::add_input(const std::string& node, MemberInput input) {
  if (!admit(encoded_size(input))) return false;
  pending_[node].inputs.push_back(std::move(input));
  return true;
}

bool BusBatcher::add_control(const std::string& node, ControlMessage control) {
  if (!admit(encoded_size(control))) return false;
  pending_[node].controls.push_back(std::move(control));
  return true;
}

void BusBatcher::forget_room(const std::string& room) {
  seqs_.erase(room);
}

std::vector<OutgoingBusMessage> BusBatcher::take() {
  std::vector<OutgoingBusMessage> out;
  ++tick_;
  for (auto& entry : pending_) {
    const std::string& node = entry.first;  // not a structured binding: lambdas capture it
    BusMessage& all = entry.second;
    // Items keep their order within each kind; a message is closed when the next item would
    // pass the size limit (an item larger than the limit goes alone).
    BusMessage cur{self_, tick_, {}, {}, {}};
    std::size_t size = 64 + self_.size();
    auto flush = [&] {
      if (cur.frames.empty() && cur.inputs.empty() && cur.controls.empty()) return;
      out.push_back({node, encode(cur), cur.frames.size(), cur.inputs.size(), cur.controls.size()});
      cur = BusMessage{self_, tick_, {}, {}, {}};
      size = 64 + self_.size();
    };
    auto add = [&](auto BusMessage::*list, auto& item) {
      std::size_t n = encoded_size(item);
      if (size + n > limits_.max_message_bytes) flush();
      size += n;
      (cur.*list).push_back(std::move(item));
    };
    for (auto& c : all.controls) add(&BusMessage::controls, c);
    for (auto& i : all.inputs) add(&BusMessage::inputs, i);
    for (auto& f : all.frames) add(&BusMessage::frames, f);
    flush();
  }
  pending_.clear();
  pending_bytes_ = 0;
  return out;
}

}  // namespace roomctl::cluster
