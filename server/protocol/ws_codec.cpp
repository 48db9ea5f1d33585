// WebSocket framing shared by the server's connections and the load generator's bots.
#include "server/protocol/ws_codec.hpp"

#include <openssl/evp.h>

#include <cstring>

#include "server/protocol/utf8.hpp"

namespace roomctl::ws {

namespace {
std::string base64(const unsigned char* data, int size) {
  std::string out(static_cast<std::size_t>(4 * ((size + 2) / 3)), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, size);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

// base64(SHA-1(key + the protocol's fixed GUID)).
std::string accept_key(std::string_view key) {
  std::string text(key);
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr);
  return base64(digest, static_cast<int>(size));
}

namespace {
// RFC 7230 tchar: what a subprotocol name (a token) may hold.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos))
      return false;
  return true;
}
}  // namespace

std::string upgrade_response(std::string_view key, std::string_view offered) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      accept_key(key) + "\r\n";
  while (!offered.empty()) {
    auto comma = offered.find(',');
    auto name = offered.substr(0, comma);
    offered = comma == std::string_view::npos ? std::string_view() : offered.substr(comma + 1);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (is_token(name)) {
      out += "Sec-WebSocket-Protocol: ";
      out += name;
      out += "\r\n";
      break;
    }
  }
  return out + "Server: roomctl\r\n\r\n";
}

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::string make_key(std::uint64_t a, std::uint64_t b) {
  unsigned char bytes[16];
  std::memcpy(bytes, &a, 8);
  std::memcpy(bytes + 8, &b, 8);
  return base64(bytes, 16);
}

std::string upgrade_request(std::string_view host, std::string_view path, std::string_view key) {
  std::string r;
  r.reserve(160 + host.size() + path.size());
  r.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(key);
  r.append("\r\nSec-WebSocket-Version: 13\r\nUser-Agent: roomctl-loadtest\r\n\r\n");
  return r;
}

Handshake check_upgrade_response(std::string_view received, std::string_view key,
                                 std::size_t& head_size, std::string& why) {
  auto end = received.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (received.size() > 16384) {
      why = "response head over 16 KiB";
      return Handshake::refused;
    }
    return Handshake::incomplete;
  }
  head_size = end + 4;
  std::string_view head = received.substr(0, end);
  auto line_end = head.find("\r\n");
  std::string_view status = head.substr(0, line_end);
  if (status.size() < 12 || status.substr(0, 5) != "HTTP/" || status.substr(9, 3) != "101") {
    why = "server answered \"" + std::string(status) + "\"";
    return Handshake::refused;
  }
  bool accepted = false;
  std::string expected = accept_key(key);
  while (line_end != std::string_view::npos) {
    head.remove_prefix(line_end + 2);
    line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (iequals(trim(line.substr(0, colon)), "Sec-WebSocket-Accept"))
      accepted = trim(line.substr(colon + 1)) == expected;
  }
  if (!accepted) {
    why = "missing or wrong Sec-WebSocket-Accept";
    return Handshake::refused;
  }
  return Handshake::accepted;
}

void append_frame(std::string& out, Opcode op, std::string_view payload, std::uint32_t mask) {
  std::size_t n = payload.size();
  std::size_t start = out.size();
  std::size_t header = 2 + 4 + (n < 126 ? 0 : n <= 0xFFFF ? 2 : 8);
  out.resize(start + header + n);
  auto* p = reinterpret_cast<unsigned char*>(out.data() + start);
  *p++ = static_cast<unsigned char>(0x80 | static_cast<unsigned>(op));
  if (n < 126) {
    *p++ = static_cast<unsigned char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    *p++ = 0x80 | 126;
    *p++ = static_cast<unsigned char>(n >> 8);
    *p++ = static_cast<unsigned char>(n);
  } else {
    *p++ = 0x80 | 127;
    for (int i = 7; i >= 0; --i) *p++ = static_cast<unsigned char>(n >> (8 * i));
  }
  std::memcpy(p, &mask, 4);
  p += 4;
  std::memcpy(p, payload.data(), n);
  apply_mask(reinterpret_cast<char*>(p), n, mask);
}

Frame parse_frame(std::string_view data, std::size_t max_payload, Sender from,
                  std::size_t max_data) {
  Frame f;
  if (data.size() < 2) return f;
  auto b0 = static_cast<unsigned char>(data[0]);
  auto b1 = static_cast<unsigned char>(data[1]);
  auto fail = [&f](const char* why) {
    f.status = Frame::Status::error;
    f.error = why;
    return f;
  };
  if (b0 & 0x70) return fail("reserved bits set");
  unsigned op = b0 & 0x0F;
  if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10)
    return fail("unknown opcode");
  bool masked = (b1 & 0x80) != 0;
  if (from == Sender::server && masked) return fail("masked frame from the server");
  if (from == Sender::client && !masked) return fail("unmasked frame from a client");
  std::size_t header = 2;
  std::uint64_t n = b1 & 0x7F;
  if (n == 126) {
    if (data.size() < 4) return f;
    n = (std::uint64_t{static_cast<unsigned char>(data[2])} << 8) |
        static_cast<unsigned char>(data[3]);
    header = 4;
  } else if (n == 127) {
    if (data.size() < 10) return f;
    n = 0;
    for (int i = 2; i < 10; ++i) n = (n << 8) | static_cast<unsigned char>(data[i]);
    header = 10;
  }
  bool control = op >= 8;
  if (control && (n > 125 || !(b0 & 0x80))) return fail("bad control frame");
  if (n > max_payload || (!control && n > max_data)) {
    f.too_big = true;
    return fail("frame over the message size limit");
  }
  if (masked) {
    if (data.size() < header + 4) return f;
    std::memcpy(&f.mask, data.data() + header, 4);
    header += 4;
  }
  if (data.size() - header < n) return f;
  f.status = Frame::Status::complete;
  f.fin = (b0 & 0x80) != 0;
  f.op = static_cast<Opcode>(op);
  f.payload = data.substr(header, static_cast<std::size_t>(n));
  f.size = header + static_cast<std::size_t>(n);
  return f;
}

void apply_mask(char* p, std::size_t n, std::uint32_t mask, std::size_t offset) {
  unsigned char key[4];
  std::memcpy(key, &mask, 4);
  std::size_t i = 0;
  // Byte by byte up to a multiple of 4 from the payload's start, then 8 bytes at a time.
  for (; i < n && ((offset + i) & 3) != 0; ++i)
    p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ key[(offset + i) & 3]);
  std::uint64_t wide;
  std::memcpy(&wide, key, 4);
  std::memcpy(reinterpret_cast<char*>(&wide) + 4, key, 4);
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    v ^= wide;
    std::memcpy(p + i, &v, 8);
  }
  for (; i < n; ++i)
    p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ key[(offset + i) & 3]);
}

std::size_t server_header(unsigned char (&out)[10], Opcode op, std::size_t n) {
  out[0] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(op));
  if (n < 126) {
    out[1] = static_cast<unsigned char>(n);
    return 2;
  }
  if (n <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<unsigned char>(n >> 8);
    out[3] = static_cast<unsigned char>(n);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<unsigned char>(n >> (8 * (7 - i)));
  return 10;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  // A control frame carries at most 125 bytes; the reason is UTF-8 text, cut between code points.
  out += protocol::truncate_code_points(reason, 123);
  return out;
}

std::uint16_t close_code(std::string_view payload) {
  if (payload.size() < 2) return 1005;
  return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                    static_cast<unsigned char>(payload[1]));
}

}  // namespace roomctl::ws
