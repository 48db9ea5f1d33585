// The admin listener's routes: /healthz, /readyz, /metrics (and later /admin/*).
// Transport-free: takes a parsed request, returns status, content type and body.
#pragma once

#include <functional>
#include <string>

namespace roomctl::metrics {
class Registry;
}

namespace roomctl::net {

struct AdminRequest {
  std::string method;
  std::string target;         // path and query
  std::string authorization;  // the Authorization header, if any
  bool from_loopback = false;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class AdminApi {
 public:
  // ready_reason: empty when ready, else why not (draining, store down, ...).
  AdminApi(metrics::Registry& registry, std::function<std::string()> not_ready_reason);
  AdminResponse handle(const AdminRequest& req);

 private:
  metrics::Registry& registry_;
  std::function<std::string()> not_ready_reason_;
};

}  // namespace roomctl::net
