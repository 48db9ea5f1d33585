// The bus codec. Integers are LEB128 varints (epochs zigzag-encoded), strings a varint length
// and the bytes. After the 4-byte header: from, tick, then three counted lists:
//   frames:   room, epoch, seq, user count, users..., payload
//   inputs:   room, user, payload, gateway, hops
//   controls: key, type, body
// Nothing follows the last list: trailing bytes are an error, so that a message is read one way.
#include "server/cluster/bus_codec.hpp"

namespace roomctl::cluster {

namespace {
constexpr char kMagic[3] = {'R', 'C', 'B'};
constexpr std::size_t kVarintMax = 10;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::uint64_t varint(const char* what) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < kVarintMax; ++i) {
      if (pos_ >= bytes_.size()) fail(what, "ends inside a number");
      auto b = static_cast<std::uint8_t>(bytes_[pos_++]);
      if (i == kVarintMax - 1 && b > 1) fail(what, "number is too large");
      v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return v;
    }
    fail(what, "number is too long");
  }

  std::string string(const char* what) {
    std::uint64_t n = varint(what);
    if (n > left()) fail(what, "length passes the end of the message");
    std::string s(bytes_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  // A count of items that take at least `min_item` bytes each: bounded by what is left, so a
  // forged count cannot make us reserve memory the message does not back.
  std::size_t count(const char* what, std::size_t min_item) {
    std::uint64_t n = varint(what);
    if (n > left() / min_item) fail(what, "count passes the end of the message");
    return static_cast<std::size_t>(n);
  }

  std::size_t left() const { return bytes_.size() - pos_; }
  std::size_t pos() const { return pos_; }
  void skip(std::size_t n) { pos_ += n; }

  [[noreturn]] void fail(const char* what, const char* why) const {
    throw BusDecodeError(std::string("bus message: ") + what + ": " + why + " (at byte " +
                         std::to_string(pos_) + ")");
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};
}  // namespace

std::size_t encoded_size(const RoomFrame& f) {
  std::size_t n = 3 * kVarintMax + f.room.size() + kVarintMax;
  for (const auto& u : f.users) n += kVarintMax + u.size();
  return n + kVarintMax + (f.payload ? f.payload->size() : 0);
}

std::size_t encoded_size(const MemberInput& i) {
  return 5 * kVarintMax + i.room.size() + i.user.size() + i.payload.size() + i.gateway.size();
}

std::size_t encoded_size(const ControlMessage& c) {
  return 3 * kVarintMax + c.key.size() + c.type.size() + c.body.size();
}

std::string encode(const BusMessage& m) {
  std::string out(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(kBusVersion));
  put_string(out, m.from);
  put_varint(out, m.tick);
  put_varint(out, m.frames.size());
  for (const auto& f : m.frames) {
    put_string(out, f.room);
    put_varint(out, zigzag(f.epoch));
    put_varint(out, f.seq);
    put_varint(out, f.users.size());
    for (const auto& u : f.users) put_string(out, u);
    put_string(out, f.payload ? std::string_view(*f.payload) : std::string_view());
  }
  put_varint(out, m.inputs.size());
  for (const auto& i : m.inputs) {
    put_string(out, i.room);
    put_string(out, i.user);
    put_string(out, i.payload);
    put_string(out, i.gateway);
    put_varint(out, i.hops);
  }
  put_varint(out, m.controls.size());
  for (const auto& c : m.controls) {
    put_string(out, c.key);
    put_string(out, c.type);
    put_string(out, c.body);
  }
  return out;
}

BusMessage decode(std::string_view bytes) {
  Reader in(bytes);
  if (bytes.size() < 4 || bytes.substr(0, 3) != std::string_view(kMagic, 3))
    in.fail("header", "not a bus message");
  if (static_cast<std::uint8_t>(bytes[3]) != kBusVersion) in.fail("header", "unknown version");
  in.skip(4);
  BusMessage m;
  m.from = in.string("from");
  m.tick = in.varint("tick");
  // Smallest encodings: a frame 5 bytes (four varints and an empty payload), an input 5 (four
  // empty strings and a varint), a control 3 (three empty strings), a user 1.
  m.frames.resize(in.count("frames", 5));
  for (auto& f : m.frames) {
    f.room = in.string("frame room");
    f.epoch = unzigzag(in.varint("frame epoch"));
    f.seq = in.varint("frame seq");
    f.users.resize(in.count("frame users", 1));
    for (auto& u : f.users) u = in.string("frame user");
    f.payload = std::make_shared<const std::string>(in.string("frame payload"));
  }
  m.inputs.resize(in.count("inputs", 5));
  for (auto& i : m.inputs) {
    i.room = in.string("input room");
    i.user = in.string("input user");
    i.payload = in.string("input payload");
    i.gateway = in.string("input gateway");
    i.hops = in.varint("input hops");
  }
  m.controls.resize(in.count("controls", 3));
  for (auto& c : m.controls) {
    c.key = in.string("control key");
    c.type = in.string("control type");
    c.body = in.string("control body");
  }
  if (in.left() != 0) in.fail("message", "trailing bytes");
  return m;
}

}  // namespace roomctl::cluster
