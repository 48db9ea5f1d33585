// WebSocket message assembly from a client's bytes.
#include "server/protocol/ws_reader.hpp"

#include "server/protocol/utf8.hpp"
#include "server/protocol/ws_codec.hpp"

namespace roomctl::ws {

namespace {
// A buffer that grew for one large frame or message is given back once it is empty, so that an
// idle connection holds nothing.
constexpr std::size_t kKeepCapacity = 256;

// Also shrinks one that keeps far more room than its content: a peer trickling the tail of a
// frame must not hold a whole large read's worth of buffer.
void release_if_empty(std::string& s) {
  if (s.empty() && s.capacity() > kKeepCapacity)
    std::string().swap(s);
  else if (s.capacity() > kKeepCapacity && s.capacity() > 2 * s.size())
    s.shrink_to_fit();
}
}  // namespace

std::optional<MessageReader::Error> MessageReader::fail(std::uint16_t code, const char* reason,
                                                        const char* label) {
  active_ = false;
  std::string().swap(partial_);
  std::string().swap(message_);
  return Error{code, reason, label};
}

std::optional<MessageReader::Error> MessageReader::feed(char* data, std::size_t size,
                                                        Handler& handler) {
  bool buffered = !partial_.empty();
  if (buffered) {
    partial_.append(data, size);
    data = partial_.data();
    size = partial_.size();
  }
  std::size_t used = 0;
  while (used < size && active_) {
    // A fragment in progress leaves the rest of the budget to its continuations.
    std::size_t left = message_opcode_ != 0 ? max_ - message_.size() : max_;
    auto f = parse_frame(std::string_view(data + used, size - used), max_, Sender::client, left);
    if (f.status == Frame::Status::incomplete) break;
    if (f.status == Frame::Status::error)
      return f.too_big ? fail(1009, "message too big", "message_too_big")
                       : fail(1002, f.error, "protocol_error");
    char* payload = data + used + (f.size - f.payload.size());
    apply_mask(payload, f.payload.size(), f.mask);
    used += f.size;
    if (auto e = on_frame(static_cast<int>(f.op), f.fin,
                          std::string_view(payload, f.payload.size()), handler))
      return e;
  }
  if (!active_) {
    std::string().swap(partial_);
    return std::nullopt;
  }
  if (buffered)
    partial_.erase(0, used);
  else if (used < size)
    partial_.assign(data + used, size - used);
  release_if_empty(partial_);
  return std::nullopt;
}

std::optional<MessageReader::Error> MessageReader::on_frame(int opcode, bool fin,
                                                            std::string_view payload,
                                                            Handler& handler) {
  auto deliver = [&](Kind kind, std::string_view p) -> std::optional<Error> {
    if (kind == Kind::text && !protocol::valid_utf8(p))
      return fail(1007, "text frame is not valid UTF-8", "bad_utf8");
    if (!handler.on_message(kind, p)) active_ = false;
    return std::nullopt;
  };
  switch (static_cast<Opcode>(opcode)) {
    // Control frames may come between the fragments of a message (RFC 6455 §5.4).
    case Opcode::ping:
      return deliver(Kind::ping, payload);
    case Opcode::pong:
      return deliver(Kind::pong, payload);
    case Opcode::close:
      return deliver(Kind::close, payload);
    case Opcode::continuation: {
      if (message_opcode_ == 0)
        return fail(1002, "continuation without a message", "protocol_error");
      if (message_.size() + payload.size() > max_)
        return fail(1009, "message too big", "message_too_big");
      message_.append(payload);
      if (!fin) return std::nullopt;
      auto kind = message_opcode_ == static_cast<int>(Opcode::text) ? Kind::text : Kind::binary;
      message_opcode_ = 0;
      std::string whole = std::move(message_);
      message_.clear();
      return deliver(kind, whole);
    }
    default: {  // text or binary
      if (message_opcode_ != 0)
        return fail(1002, "new message inside a fragmented one", "protocol_error");
      auto kind = static_cast<Opcode>(opcode) == Opcode::text ? Kind::text : Kind::binary;
      if (fin) return deliver(kind, payload);
      message_opcode_ = opcode;
      message_.assign(payload);
      return std::nullopt;
    }
  }
}

}  // namespace roomctl::ws
