// Health, readiness and metrics routes.
#include "server/net/admin_api.hpp"

#include "server/metrics/registry.hpp"

namespace roomctl::net {

AdminApi::AdminApi(metrics::Registry& registry, std::function<std::string()> not_ready_reason)
    : registry_(registry), not_ready_reason_(std::move(not_ready_reason)) {}

AdminResponse AdminApi::handle(const AdminRequest& req) {
  std::string path = req.target.substr(0, req.target.find('?'));
  if (req.method != "GET" && req.method != "HEAD") return {405, "text/plain; charset=utf-8", "method not allowed\n"};
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/readyz") {
    std::string reason = not_ready_reason_();
    if (reason.empty()) return {200, "text/plain; charset=utf-8", "ready\n"};
    return {503, "text/plain; charset=utf-8", "not ready: " + reason + "\n"};
  }
  if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", registry_.render()};
  return {404, "text/plain; charset=utf-8", "not found\n"};
}

}  // namespace roomctl::net
