// Shared helpers of the fuzz targets: a reader that turns the fuzz input into choices, text
// generators that produce what a client can really send (valid UTF-8, since every inbound
// message went through a JSON parser), and the checks every target applies to outbound frames.
// A violated invariant prints its name and aborts, so libFuzzer records the input as a crash.
#pragma once

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/games/game.hpp"
#include "server/protocol/frame.hpp"

namespace roomctl::fuzz {

[[noreturn]] inline void violated(const char* invariant, std::string_view detail) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s: %.*s\n", invariant, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static const std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// Consumes the fuzz input front to back; once it is exhausted every read returns zero, so a
// short input is simply a short scenario.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  std::uint8_t byte() { return p_ == end_ ? 0 : *p_++; }
  std::uint32_t below(std::uint32_t n) { return n == 0 ? 0 : byte() % n; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  bool flag() { return byte() & 1; }

  // Text a client could send: short words, multi-byte runs long enough to cross the name and
  // chat limits, raw input bytes repaired into valid UTF-8, padding whitespace, long ASCII.
  std::string text() {
    static const char* const words[] = {"apple", "Apple ", " a", "cat",   "x",  "spy",
                                        "b-a n", "ümlaut", "猫", "🐈 cat", "  ", "tree house"};
    static const char* const wide[] = {"é", "中", "😀", "ß", "a"};
    switch (below(6)) {
      case 0:
        return words[below(sizeof words / sizeof *words)];
      case 1: {
        std::string s;
        const char* w = wide[below(sizeof wide / sizeof *wide)];
        for (int k = 1 + byte() % 80; k > 0; --k) s += w;
        return s;
      }
      case 2: {
        std::string s;
        for (int k = byte() % 48; k > 0 && !empty(); --k) s += static_cast<char>(byte());
        return repair(s);
      }
      case 3:
        return std::string(16u * (1u + byte()), 'a');
      case 4:
        return " \t" + std::string(words[below(sizeof words / sizeof *words)]) + " \n";
      default:
        return "";
    }
  }

  // Replaces every byte that is not part of a valid UTF-8 sequence with '?'.
  static std::string repair(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
      bool ok = false;
      for (std::size_t n = 4; n >= 1 && !ok; --n)
        if (i + n <= s.size() && valid_utf8(std::string_view(s).substr(i, n))) {
          out.append(s, i, n);
          i += n;
          ok = true;
        }
      if (!ok) out += '?', ++i;
    }
    return out;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// Every outbound frame is what a client's JSON parser receives: valid UTF-8 and a JSON object
// with a string "type". Returns the parsed object for further, game-specific checks.
inline boost::json::object check_frame(const std::string& text) {
  if (!valid_utf8(text)) violated("frame is valid UTF-8", text);
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) violated("frame is a JSON object", text);
  auto& o = v.as_object();
  auto it = o.find("type");
  if (it == o.end() || !it->value().is_string()) violated("frame has a string type", text);
  return std::move(o);
}

// One delivered frame: who got it and what it says. Broadcasts reach the members after the step,
// exactly as the room actor resolves them.
struct Delivery {
  std::string to;
  const games::Outbound* out;
  boost::json::object frame;
  std::string_view type() const { return frame.at("type").get_string(); }
};

inline std::vector<Delivery> deliveries(const games::Effects& fx,
                                        const std::vector<std::string>& members) {
  std::vector<Delivery> d;
  for (const auto& o : fx.out) {
    if (!o.frame && !o.legacy_frame) violated("an outbound message has a frame", o.user);
    // Each dialect's frame once (they usually share one buffer): both must keep every rule.
    for (const Frame* f : {&o.frame, &o.legacy_frame}) {
      if (!*f || (f == &o.legacy_frame && o.legacy_frame == o.frame)) continue;
      auto frame = check_frame(**f);
      if (o.to == games::Outbound::To::one)
        d.push_back({o.user, &o, frame});
      else
        for (const auto& m : members)
          if (o.to == games::Outbound::To::all || m != o.user) d.push_back({m, &o, frame});
    }
  }
  return d;
}

inline std::string string_field(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

// The persisted form of a room is snapshot text: it must parse again (or the room is lost on the
// next restart) and describe the same state as snapshot().
inline void check_snapshot_text(const std::string& text, const boost::json::object& snapshot) {
  if (!valid_utf8(text)) violated("snapshot text is valid UTF-8", text);
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) violated("snapshot text parses", text);
  if (v.as_object() != snapshot) violated("snapshot text equals snapshot()", text);
}

// The user pool of the game harnesses: ASCII, accented, CJK and emoji ids.
inline const std::vector<std::string> kUsers = {"alice", "bob", "Ünïcødé", "用户三", "🎲dice", "u6"};

// The events every game harness feeds its game, written once: messages (with the body and the
// raw frame the runtime would pass), connection events, timer firings, and a clock that follows
// the game's own deadlines. Derived provides `games::Game& game()` and
// `void apply(const games::Event&)`, which steps the game and checks its invariants.
template <typename Derived>
class EventDriver {
 public:
  void send(const std::string& user, const std::string& type, boost::json::object body = {}) {
    body["type"] = type;
    games::Event e;
    e.user = user;
    e.type = type;
    e.raw = make_frame(boost::json::serialize(body));
    e.body = std::move(body);
    self().apply(e);
  }
  void event(games::Event::Kind kind, const std::string& user) {
    games::Event e;
    e.kind = kind;
    e.user = user;
    self().apply(e);
  }
  void timer(std::uint64_t gen) {
    games::Event e;
    e.kind = games::Event::Kind::timer;
    e.timer_gen = gen;
    self().apply(e);
  }
  // Moves the clock by `ms`, firing every deadline that falls in between, in order.
  void advance(Millis ms) {
    Millis until = now_ + ms;
    while (auto t = self().game().timer()) {
      if (t->first > until) break;
      now_ = std::max(now_, t->first);
      timer(t->second);
    }
    now_ = until;
  }
  void fire_next_timer() {
    if (auto t = self().game().timer()) {
      now_ = std::max(now_, t->first);
      timer(t->second);
    }
  }
  void fire_stale_timer() {  // a firing with an old gen: must change nothing
    if (auto t = self().game().timer()) timer(t->second - 1);
  }
  // The steps every game shares, by number: 0 disconnect, 1 reconnect, 2 leave for good,
  // 3 let `ms` pass, 4 fire the next deadline now, 5 fire a stale timer; anything else restarts
  // the server (Derived::restart()).
  void lifecycle_step(unsigned k, const std::string& user, Millis ms) {
    switch (k) {
      case 0:
        return event(games::Event::Kind::disconnected, user);
      case 1:
        return event(games::Event::Kind::connected, user);
      case 2:
        return event(games::Event::Kind::leave, user);
      case 3:
        return advance(ms);
      case 4:
        return fire_next_timer();
      case 5:
        return fire_stale_timer();
      default:
        return self().restart();
    }
  }

 protected:
  Millis now_ = 1'700'000'000'000;

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace roomctl::fuzz
