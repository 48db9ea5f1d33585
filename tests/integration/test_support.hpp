// Helpers shared by the integration tests: JSON access and connected, identified clients.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "loadgen/ws_client.hpp"

namespace roomctl::test {

inline boost::json::object J(const std::string& text) { return boost::json::parse(text).as_object(); }

inline std::string str(const boost::json::object& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

// A predicate for recv_until: message of this "type".
inline auto of_type(std::string type) {
  return [type](const std::string& m) {
    auto v = boost::json::parse(m);
    return v.is_object() && v.as_object().contains("type") && v.as_object().at("type") == type.c_str();
  };
}

inline std::unique_ptr<loadgen::WsClient> connect_client(std::uint16_t port) {
  auto c = std::make_unique<loadgen::WsClient>();
  c->connect("127.0.0.1", port);
  return c;
}

// Connects and binds `user` with an app_opened, waiting for its users_online full list.
inline std::unique_ptr<loadgen::WsClient> connect_user(std::uint16_t port, const std::string& user) {
  auto c = connect_client(port);
  c->send(R"({"EventFrom":"App","type":"app_opened","userId":")" + user + "\"}");
  c->recv_until(of_type("users_online"));
  return c;
}

}  // namespace roomctl::test
