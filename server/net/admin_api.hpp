// The admin listener's routes (transport-free: a parsed request in, a response out, possibly
// later).
//   GET  /healthz /readyz /metrics                     no auth (probes and Prometheus)
//   GET  /admin/rooms?game=&phase=&min_players=&idle_over=&sort=&limit=&cursor=
//   GET  /admin/rooms/{id}[?reveal=true]   GET /admin/users/{id}   GET /admin/stats
//   GET  /admin/nodes                      (cluster: every node's lease, read from Redis)
//   POST /admin/rooms/{id}/close   POST /admin/users/{id}/kick   POST /admin/drain   POST
//   /admin/resume
// /admin/* needs `Authorization: Bearer <admin.token>`; with no token configured it answers only
// on loopback. Wrong or missing token: 401 and nothing else. Every JSON answer carries "node".
// A request that changes something (any method but GET/HEAD) is refused when it carries an
// Origin header (403) or a content type other than JSON (415): a web page open in an operator's
// browser can send a "simple" cross-site POST to 127.0.0.1, and browsers always add an Origin
// to those. Every such request is logged with its peer (`admin_action`).
#pragma once

#include <functional>
#include <string>

namespace roomctl::metrics {
class Registry;
struct ServerMetrics;
}  // namespace roomctl::metrics
namespace roomctl::cluster {
class NodeListReader;
struct NodeInfo;
}  // namespace roomctl::cluster
namespace roomctl::runtime {
class RoomService;
class UserDirectory;
class StoreWorker;
}  // namespace roomctl::runtime

namespace roomctl::net {

struct AdminRequest {
  std::string method;
  std::string target;         // path and query
  std::string authorization;  // the Authorization header, if any
  std::string origin;         // the Origin header, if any
  bool has_origin = false;    // (an empty Origin is still a browser's)
  std::string content_type;   // the Content-Type header, if any
  std::string peer;           // address:port of the client, for the log
  bool from_loopback = false;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct AdminDeps {
  metrics::Registry& registry;
  runtime::RoomService& rooms;
  runtime::UserDirectory& directory;
  runtime::StoreWorker& store;  // the admin API reads the store there, never on its event loop
  std::string node_id;
  std::string token;          // empty: loopback only
  bool allow_reveal = false;  // ?reveal=true needs a token and this
  std::function<std::string()> not_ready_reason;
  std::function<void(bool)> set_admin_drain;  // the admin drain: on (drain) or off (resume)
  std::function<std::string()> stats_json;    // node totals and limits, as a JSON object text
  metrics::ServerMetrics* metrics = nullptr;  // refusals (roomctl_auth_refusals_total)
  // Cluster mode: /admin/nodes reads the leases there, off the event loop. Null: one node.
  cluster::NodeListReader* cluster_nodes = nullptr;
  std::function<cluster::NodeInfo()> self_node;  // this node, for the single-node answer
};

class AdminApi {
 public:
  explicit AdminApi(AdminDeps deps);
  // `respond` is called exactly once, possibly on another thread.
  void handle(const AdminRequest& req, std::function<void(AdminResponse)> respond);

 private:
  bool authorized(const AdminRequest& req) const;
  // The reason a mutating request is refused (403/415), or 0 when it may go on.
  int unsafe(const AdminRequest& req, std::string& why) const;
  void count(const char* reason) const;
  void route(const AdminRequest& req, std::function<void(AdminResponse)> respond);
  AdminResponse json(int status, std::string body) const;
  void nodes(std::function<void(AdminResponse)> respond);

  AdminDeps deps_;
};

}  // namespace roomctl::net
