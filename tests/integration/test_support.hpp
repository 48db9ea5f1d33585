// Helpers shared by the integration tests: JSON access and connected, identified clients.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/ws_client.hpp"

namespace roomctl::test {

inline boost::json::object J(const std::string& text) {
  return boost::json::parse(text).as_object();
}

inline std::string str(const boost::json::object& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

// A predicate for recv_until: message of this "type".
inline auto of_type(std::string type) {
  return [type](const std::string& m) {
    auto v = boost::json::parse(m);
    return v.is_object() && v.as_object().contains("type") &&
           v.as_object().at("type") == type.c_str();
  };
}

// A direct message (ORIG's AppChatMessaging chat) from one user to another.
inline std::string dm_text(const std::string& from, const std::string& to,
                           const std::string& text) {
  return R"({"EventFrom":"AppChatMessaging","type":"chat","userId":")" + from +
         R"(","receiverID":")" + to + R"(","text":")" + text + "\"}";
}

// Server settings for a receiver that falls behind fast: a tiny send queue, no rate limits.
inline std::vector<std::string> tiny_send_queue(std::vector<std::string> more = {}) {
  std::vector<std::string> s{
      "limits.send_queue_max_messages=50", "limits.send_queue_max_bytes=64KiB",
      "limits.messages_per_second=100000", "limits.message_burst=100000", "abuse.dms_per_user=0"};
  s.insert(s.end(), more.begin(), more.end());
  return s;
}

// Polls `pred` until it holds or `timeout` passes; returns its last answer.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

// Sends `count` direct messages of about `pad` bytes each, texts prefix0.. prefix<count-1>.
inline void flood_dms(WsClient& sender, const std::string& from, const std::string& to, int count,
                      std::size_t pad, const std::string& prefix = "n") {
  std::string padding(pad, 'p');
  for (int i = 0; i < count; ++i)
    sender.send(dm_text(from, to, prefix + std::to_string(i) + padding));
}

inline std::unique_ptr<WsClient> connect_client(std::uint16_t port) {
  auto c = std::make_unique<WsClient>();
  c->connect("127.0.0.1", port);
  return c;
}

// Connects and binds `user` with an app_opened, waiting for its users_online full list.
inline std::unique_ptr<WsClient> connect_user(std::uint16_t port, const std::string& user) {
  auto c = connect_client(port);
  c->send(R"({"EventFrom":"App","type":"app_opened","userId":")" + user + "\"}");
  c->recv_until(of_type("users_online"));
  return c;
}

}  // namespace roomctl::test

namespace roomctl::test {

// A scripted player: keeps every message it received, and hands them out per type in order,
// so waiting for one type never loses messages of another.
class Player {
 public:
  Player(std::uint16_t port, std::string user) : user(std::move(user)), ws(connect_client(port)) {}

  void send(boost::json::object o) {
    if (!o.contains("userId")) o["userId"] = user;
    ws->send(boost::json::serialize(o));
  }
  void spy(const std::string& type, boost::json::object o = {}) {
    o["EventFrom"] = "SpyGame";
    o["type"] = type;
    send(std::move(o));
  }
  void skribble(const std::string& type, boost::json::object o = {}) {
    o["EventFrom"] = "SkribbleGame";
    o["type"] = type;
    send(std::move(o));
  }
  // The next unconsumed message of `type`, waiting up to `timeout`.
  std::optional<boost::json::object> next(
      const std::string& type, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto& cursor = cursors[type];
      for (; cursor < all.size(); ++cursor) {
        if (str(all[cursor], "type") == type) return all[cursor++];
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto m = ws->recv(left);
      if (!m) return std::nullopt;
      auto v = boost::json::parse(*m);
      if (v.is_object()) all.push_back(v.as_object());
    }
  }
  // Drains what has arrived so far without waiting long.
  void pump(std::chrono::milliseconds wait = std::chrono::milliseconds(50)) {
    while (auto m = ws->recv(wait)) {
      auto v = boost::json::parse(*m);
      if (v.is_object()) all.push_back(v.as_object());
    }
  }
  // Marks every message of `type` received so far as consumed.
  void skip_all(const std::string& type) {
    pump(std::chrono::milliseconds(0));
    cursors[type] = all.size();
  }
  bool received(const std::string& type) {
    pump(std::chrono::milliseconds(0));
    for (const auto& o : all)
      if (str(o, "type") == type) return true;
    return false;
  }

  std::string user;
  std::unique_ptr<WsClient> ws;
  std::vector<boost::json::object> all;
  std::map<std::string, std::size_t> cursors;
};

}  // namespace roomctl::test
