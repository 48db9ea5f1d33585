// Admin routes: health, metrics, and the JSON admin API used by `roomctl inspect`.
#include "server/net/admin_api.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "server/cluster/node_list_reader.hpp"
#include "server/config/value.hpp"
#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/runtime/room_service.hpp"
#include "server/runtime/store_worker.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/store/state_store.hpp"
#include "server/util/log.hpp"

namespace roomctl::net {

namespace json = boost::json;

namespace {
const char* kText = "text/plain; charset=utf-8";

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string error_body(const std::string& node, const std::string& error) {
  return json::serialize(json::object{{"node", node}, {"error", error}});
}
}  // namespace

namespace {
json::object node_json(const cluster::NodeStatus& s) {
  return {{"id", s.info.id},
          {"alive", s.alive},
          {"leaseTtlMs", s.lease_ttl_ms},
          {"lastRefreshMs", s.last_refresh_ms},
          {"wsAddress", s.info.ws_address},
          {"adminAddress", s.info.admin_address},
          {"rooms", s.info.rooms},
          {"connections", s.info.connections},
          {"load", s.info.load},
          {"ownedRooms", s.owned_rooms}};
}
}  // namespace

AdminApi::AdminApi(AdminDeps deps) : deps_(std::move(deps)) {}

AdminResponse AdminApi::json(int status, std::string body) const {
  return {status, "application/json", std::move(body)};
}

bool AdminApi::authorized(const AdminRequest& req) const {
  if (deps_.token.empty()) return req.from_loopback;
  return constant_time_equal(req.authorization, "Bearer " + deps_.token);
}

void AdminApi::count(const char* reason) const {
  if (deps_.metrics) deps_.metrics->auth_refusals.with({reason}).inc();
}

int AdminApi::unsafe(const AdminRequest& req, std::string& why) const {
  if (req.has_origin) {
    count("admin_origin");
    why = "cross-site request refused: an admin request must not carry an Origin header";
    return 403;
  }
  auto type = req.content_type.substr(0, req.content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (!type.empty() && type != "application/json") {
    count("admin_content_type");
    why = "an admin request that changes something must be application/json (or have no body)";
    return 415;
  }
  return 0;
}

namespace {
// Which token acted, without the token: the first 8 hex digits of its SHA-256 ("none" without
// one), enough to tell an operator's token from a leaked one in the audit log.
std::string token_fingerprint(const std::string& authorization) {
  if (authorization.empty()) return "none";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(authorization.data(), authorization.size(), digest, &size, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 4 && i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}
}  // namespace

// Audited: every request that changes something, every reveal of secrets, every refusal
// (401/403 at warn); logged with the peer, a token fingerprint and the answer, whatever it is.
void AdminApi::handle(const AdminRequest& req, std::function<void(AdminResponse)> respond) {
  bool reads = req.method == "GET" || req.method == "HEAD";
  bool reveal = req.target.find("reveal=true") != std::string::npos;
  auto logged = [req, reads, reveal, respond = std::move(respond)](AdminResponse r) {
    bool refused = r.status == 401 || r.status == 403;
    if (!reads || reveal || refused) {
      auto write = refused ? &log::warn : &log::info;
      write("admin_action", {{"method", req.method},
                             {"target", req.target.substr(0, 200)},
                             {"peer", req.peer},
                             {"token", token_fingerprint(req.authorization)},
                             {"status", std::to_string(r.status)}});
    }
    respond(std::move(r));
  };
  if (reads) return route(req, std::move(logged));
  std::string why;
  if (int status = unsafe(req, why)) return logged(json(status, error_body(deps_.node_id, why)));
  route(req, std::move(logged));
}

void AdminApi::route(const AdminRequest& req, std::function<void(AdminResponse)> respond) {
  auto url = boost::urls::parse_origin_form(req.target);
  if (!url) return respond({400, kText, "bad request target\n"});
  std::vector<std::string> seg;
  for (auto s : url->segments()) seg.emplace_back(s);
  auto param = [&](const char* key) -> std::string {
    auto it = url->params().find(key);
    return it == url->params().end() ? "" : std::string((*it).value);
  };
  const std::string& node = deps_.node_id;
  bool get = req.method == "GET" || req.method == "HEAD";
  bool post = req.method == "POST";

  if (seg.size() == 1 && get) {
    if (seg[0] == "healthz") return respond({200, kText, "ok\n"});
    if (seg[0] == "readyz") {
      std::string reason = deps_.not_ready_reason();
      if (reason.empty()) return respond({200, kText, "ready\n"});
      return respond({503, kText, "not ready: " + reason + "\n"});
    }
    if (seg[0] == "metrics")
      return respond({200, "text/plain; version=0.0.4; charset=utf-8", deps_.registry.render()});
  }
  if (seg.empty() || seg[0] != "admin") return respond({404, kText, "not found\n"});
  if (!authorized(req)) {
    count("admin_unauthorized");
    return respond(json(401, error_body(node, "unauthorized")));
  }

  Millis now = wall_now_ms();
  if (get && seg.size() == 2 && seg[1] == "rooms") {
    runtime::RoomQuery q;
    q.game = param("game");
    q.phase = param("phase");
    q.sort = param("sort").empty() ? "id" : param("sort");
    try {
      if (!param("min_players").empty()) q.min_players = std::stoi(param("min_players"));
      if (!param("limit").empty())
        q.limit = std::min<std::size_t>(1000, std::stoul(param("limit")));
      if (!param("cursor").empty()) q.cursor = std::stoul(param("cursor"));
    } catch (const std::exception&) {
      return respond(json(400, error_body(node, "min_players, limit and cursor must be numbers")));
    }
    if (!param("idle_over").empty()) {
      config::Spec spec{"idle_over", config::Type::duration, "0s", "", 0};
      config::Value v;
      if (!config::parse_value(spec, param("idle_over"), v).empty())
        return respond(json(400, error_body(node, "idle_over must be a duration like 30s")));
      q.idle_over_ms = std::get<std::int64_t>(v);
    }
    if (q.sort != "id" && q.sort != "age" && q.sort != "idle" && q.sort != "players")
      return respond(json(400, error_body(node, "sort must be id, age, idle or players")));
    auto body = deps_.rooms.list_rooms(q, now);
    body["node"] = node;
    return respond(json(200, json::serialize(body)));
  }
  if (get && seg.size() == 3 && seg[1] == "rooms") {
    bool reveal = param("reveal") == "true";
    if (reveal && (deps_.token.empty() || !deps_.allow_reveal))
      return respond(
          json(403, error_body(node, "reveal is not allowed for this token (admin.allow_reveal)")));
    bool found = deps_.rooms.inspect_room(seg[2], reveal, [respond, node, this](json::object o) {
      o["node"] = node;
      respond(json(200, json::serialize(o)));
    });
    if (!found) return respond(json(404, error_body(node, "no room " + seg[2])));
    return;
  }
  if (get && seg.size() == 3 && seg[1] == "users") {
    const std::string& user = seg[2];
    if (!deps_.directory.known(user))
      return respond(json(404, error_body(node, "no user " + user)));
    auto conn = deps_.directory.connection(user);
    auto rooms = deps_.directory.rooms(user);
    json::object o{{"node", node},
                   {"userId", user},
                   {"status", games::status_name(deps_.directory.status(user))},
                   {"online", conn != nullptr},
                   {"connectionId", conn ? json::value(conn->id()) : json::value(nullptr)},
                   {"rooms", json::array(rooms.begin(), rooms.end())},
                   {"queuedMessages", nullptr}};
    auto answer = [respond, this](json::object o) { respond(json(200, json::serialize(o))); };
    bool posted = deps_.store.post([o, answer, user, now](store::StateStore& store) mutable {
      try {
        o["queuedMessages"] = store.queued(user, now);
      } catch (const std::exception&) {  // null: the store cannot say right now
      }
      answer(std::move(o));
    });
    if (!posted) answer(std::move(o));
    return;
  }
  if (get && seg.size() == 2 && seg[1] == "nodes") return nodes(std::move(respond));
  if (get && seg.size() == 2 && seg[1] == "stats") {
    auto o = json::parse(deps_.stats_json()).as_object();
    o["node"] = node;
    return respond(json(200, json::serialize(o)));
  }
  if (post && seg.size() == 4 && seg[1] == "rooms" && seg[3] == "close") {
    if (!deps_.rooms.close_room(seg[2], "admin"))
      return respond(json(404, error_body(node, "no room " + seg[2])));
    return respond(json(200, json::serialize(json::object{{"node", node}, {"closed", seg[2]}})));
  }
  if (post && seg.size() == 4 && seg[1] == "users" && seg[3] == "kick") {
    if (!deps_.rooms.kick_user(seg[2]))
      return respond(json(404, error_body(node, "no user " + seg[2])));
    return respond(json(200, json::serialize(json::object{{"node", node}, {"kicked", seg[2]}})));
  }
  if (post && seg.size() == 2 && (seg[1] == "drain" || seg[1] == "resume")) {
    deps_.set_admin_drain(seg[1] == "drain");
    return respond(
        json(200, json::serialize(json::object{{"node", node}, {"draining", seg[1] == "drain"}})));
  }
  respond(json(404, error_body(node, "no such admin route")));
}

// One node: this one, from its own counters, without a lease. A cluster: every node in Redis's
// list (alive or not, sorted by id), read on the reader's thread; Redis away is a 503, never a
// wait on this event loop.
void AdminApi::nodes(std::function<void(AdminResponse)> respond) {
  const std::string& node = deps_.node_id;
  if (!deps_.cluster_nodes) {
    cluster::NodeStatus self;
    if (deps_.self_node) self.info = deps_.self_node();
    self.info.id = node;
    self.alive = true;
    self.owned_rooms = self.info.rooms;
    auto o = node_json(self);
    o["leaseTtlMs"] = nullptr;  // no lease: nothing expires
    o["lastRefreshMs"] = nullptr;
    json::object body{{"node", node}, {"cluster", false}, {"alive", 1}, {"nodes", {o}}};
    return respond(json(200, json::serialize(body)));
  }
  // Runs on the reader's thread, possibly while the server stops: it uses only what it holds.
  auto answer = [respond, node](std::vector<cluster::NodeStatus> list, std::string error) {
    auto reply = [&](int status, std::string body) {
      respond({status, "application/json", std::move(body)});
    };
    if (!error.empty())
      return reply(503, error_body(node, "cannot read the cluster's nodes: " + error));
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a.info.id < b.info.id; });
    json::array nodes;
    std::int64_t alive = 0;
    for (const auto& s : list) {
      alive += s.alive ? 1 : 0;
      nodes.push_back(node_json(s));
    }
    json::object body{{"node", node}, {"cluster", true}, {"alive", alive}, {"nodes", nodes}};
    reply(200, json::serialize(body));
  };
  if (!deps_.cluster_nodes->post(answer))
    respond(json(503, error_body(node, "too many node list requests are waiting for Redis")));
}

}  // namespace roomctl::net
