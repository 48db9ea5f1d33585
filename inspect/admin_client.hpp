// HTTP client for the admin API (used by `roomctl inspect`): GET/POST with a bearer token.
#pragma once

#include <string>

namespace roomctl::inspect {

struct HttpResult {
  int status = 0;  // 0 when the server could not be reached
  std::string body;
  std::string error;  // why the request failed, when status is 0
};

class AdminClient {
 public:
  // server: "http://host:port" (or "host:port"); token may be empty.
  AdminClient(const std::string& server, std::string token);
  HttpResult get(const std::string& target) const { return request("GET", target); }
  HttpResult post(const std::string& target) const { return request("POST", target); }
  const std::string& host() const { return host_; }
  const std::string& port() const { return port_; }
  // The same client for another node of a cluster ("host:port" of its admin listener).
  AdminClient at(const std::string& address) const { return AdminClient(address, token_); }

 private:
  HttpResult request(const std::string& method, const std::string& target) const;
  std::string host_, port_, token_;
};

}  // namespace roomctl::inspect
