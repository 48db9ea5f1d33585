// The inspect flow: validate, build the admin request, call, map HTTP status to exit codes,
// render. --watch redraws like watch(1) on a terminal and keeps the last error on screen with
// its time; off a terminal it writes one document per redraw (one JSON object per line with
// -o json) and sends its banners to stderr, so a pipe into jq sees only data.
#include "inspect/inspect.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <cctype>
#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "inspect/admin_client.hpp"
#include "inspect/inspect_validate.hpp"
#include "inspect/inspect_view.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::inspect {

namespace {
std::string encode(const std::string& s) {
  return boost::urls::encode(s, boost::urls::pchars);
}

std::string rooms_query(const InspectArgs& a) {
  std::string q;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) q += (q.empty() ? "?" : "&") + std::string(k) + "=" + encode(v);
  };
  add("game", a.game);
  add("phase", a.phase);
  add("idle_over", a.idle_over);
  add("sort", a.sort);
  add("cursor", a.cursor);
  if (a.min_players > 0) add("min_players", std::to_string(a.min_players));
  if (a.limit > 0) add("limit", std::to_string(a.limit));
  return q;
}

struct Call {
  std::string kind, method, target;
};

bool plan(const InspectArgs& a, Call& c, std::string& usage) {
  if (!a.id.empty() && (a.what == "rooms" || a.what == "stats" || a.what == "nodes" ||
                        a.what == "drain" || a.what == "resume")) {
    usage = "inspect " + a.what + " takes no argument, got \"" + a.id + "\"";
    if (a.watch && !a.id.empty() && std::isdigit(static_cast<unsigned char>(a.id[0])))
      usage += " (-w takes no value: --interval " + a.id + ")";
    return false;
  }
  auto need_id = [&](const char* what) {
    if (a.id.empty()) usage = std::string("inspect ") + what + " needs an id";
    return !a.id.empty();
  };
  if (a.what == "rooms")
    c = {"rooms", "GET", "/admin/rooms" + rooms_query(a)};
  else if (a.what == "room") {
    if (!need_id("room")) return false;
    c = {"room", "GET", "/admin/rooms/" + encode(a.id) + (a.reveal ? "?reveal=true" : "")};
  } else if (a.what == "users" || a.what == "user") {
    if (!need_id("users")) return false;
    c = {"user", "GET", "/admin/users/" + encode(a.id)};
  } else if (a.what == "stats")
    c = {"stats", "GET", "/admin/stats"};
  else if (a.what == "nodes")
    c = {"nodes", "GET", "/admin/nodes"};
  else if (a.what == "close") {
    if (!need_id("close")) return false;
    c = {"action", "POST", "/admin/rooms/" + encode(a.id) + "/close"};
  } else if (a.what == "kick") {
    if (!need_id("kick")) return false;
    c = {"action", "POST", "/admin/users/" + encode(a.id) + "/kick"};
  } else if (a.what == "drain" || a.what == "resume")
    c = {"action", "POST", "/admin/" + a.what};
  else {
    usage = "unknown inspect target \"" + a.what +
            "\" (rooms, room ID, users ID, stats, nodes, close ROOM, kick USER, drain, resume)";
    return false;
  }
  return true;
}

HttpResult call(const AdminClient& client, const Call& c) {
  return c.method == "GET" ? client.get(c.target) : client.post(c.target);
}

// The other live nodes of the asked node's cluster (their admin addresses), none outside one.
std::vector<std::string> other_nodes(const AdminClient& client) {
  std::vector<std::string> out;
  auto r = client.get("/admin/nodes");
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (r.status != 200 || ec || !v.is_object() || !v.as_object().contains("nodes")) return out;
  const auto& o = v.as_object();
  if (auto* cl = o.if_contains("cluster"); !cl || !cl->is_bool() || !cl->get_bool()) return out;
  std::string self = o.contains("node") && o.at("node").is_string()
                         ? std::string(o.at("node").get_string())
                         : std::string();
  for (const auto& n : o.at("nodes").as_array()) {
    const auto& node = n.as_object();
    auto* alive = node.if_contains("alive");
    auto* address = node.if_contains("adminAddress");
    if (!alive || !alive->is_bool() || !alive->get_bool() || !address || !address->is_string())
      continue;
    if (node.contains("id") && node.at("id").is_string() && node.at("id").get_string() == self)
      continue;
    out.emplace_back(address->get_string());
  }
  return out;
}

// In a cluster a room runs on one node (and its seats are known there): what the asked node
// does not know is asked of every other live node, with the same token, and the first that
// knows answers. The room listing is the union of every node's.
HttpResult cluster_wide(const AdminClient& client, const Call& c, HttpResult first) {
  bool by_id = c.kind == "room" || c.kind == "user" ||
               (c.kind == "action" && c.target.rfind("/admin/rooms/", 0) == 0) ||
               (c.kind == "action" && c.target.rfind("/admin/users/", 0) == 0);
  if (by_id && first.status == 404) {
    for (const auto& address : other_nodes(client))
      if (auto r = call(client.at(address), c); r.status == 200) return r;
    return first;
  }
  if (c.kind != "rooms" || first.status != 200) return first;
  auto nodes = other_nodes(client);
  if (nodes.empty()) return first;
  boost::system::error_code ec;
  auto all = boost::json::parse(first.body, ec);
  if (ec || !all.is_object() || !all.as_object().contains("rooms")) return first;
  auto& merged = all.as_object();
  for (const auto& address : nodes) {
    auto r = call(client.at(address), c);
    auto v = boost::json::parse(r.body, ec);
    if (r.status != 200 || ec || !v.is_object() || !v.as_object().contains("rooms")) continue;
    for (auto& room : v.as_object().at("rooms").as_array())
      merged.at("rooms").as_array().push_back(room);
    if (merged.contains("total") && v.as_object().contains("total"))
      merged["total"] =
          merged.at("total").to_number<double>() + v.as_object().at("total").to_number<double>();
  }
  merged.erase("nextCursor");  // paging is per node; the union is one page
  first.body = boost::json::serialize(merged);
  return first;
}

// One request: the rendered answer in `screen`, or the error in `error`; returns the exit code.
int once(const AdminClient& client, const Call& c, const ViewOptions& view, std::string& screen,
         std::string& error) {
  HttpResult r = cluster_wide(client, c, call(client, c));
  if (r.status == 0) {
    error = "cannot reach " + client.host() + ":" + client.port() + ": " + r.error;
    return exit_code::failure;
  }
  std::string reason;
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (auto it = v.as_object().find("error"); it != v.as_object().end() && it->value().is_string())
      reason = std::string(it->value().get_string());
  if (r.status == 401) {
    error = "unauthorized: pass --token or set ROOMCTL_ADMIN_TOKEN";
    return exit_code::unauthorized;
  }
  if (r.status == 403) {
    error = "forbidden: " + (reason.empty() ? "this token may not do that" : reason);
    return exit_code::forbidden;
  }
  if (r.status == 404) {
    error = reason.empty() ? "not found" : reason;
    return exit_code::not_found;
  }
  if (r.status != 200 || ec) {
    error =
        "server answered " + std::to_string(r.status) + ": " + (reason.empty() ? r.body : reason);
    return exit_code::failure;
  }
  screen = render(c.kind, v, view);
  return exit_code::ok;
}

std::string clock_time() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm);
  return buf;
}

int watch(const AdminClient& client, const Call& call, const ViewOptions& view,
          const InspectArgs& a, std::int64_t interval_ms, bool tty) {
  // Off a terminal, stdout carries only documents; the banner and errors go to stderr.
  bool redraw = tty && view.format == Format::table;
  std::ostream& banner = redraw ? std::cout : std::cerr;
  std::string last_screen, last_error;
  int rc = exit_code::ok;
  for (int n = 1;; ++n) {
    std::string screen, error;
    rc = once(client, call, view, screen, error);
    std::string now = clock_time();
    // Only "cannot reach" and 5xx are worth waiting out; a 401 or 404 will not fix itself.
    if (rc != exit_code::ok && rc != exit_code::failure) {
      std::cerr << "roomctl inspect: " << error << "\n";
      return rc;
    }
    if (rc == exit_code::ok)
      last_screen = screen;
    else
      last_error = now + ": " + error;
    if (redraw) {
      std::cout << "\033[H\033[2J";  // home the cursor and clear below, like watch(1)
      banner << "Every " << a.interval << ": roomctl inspect " << a.what
             << (a.id.empty() ? "" : " " + a.id) << "    " << now << " (Ctrl-C to stop)\n";
      if (!last_error.empty())
        banner << (rc == exit_code::ok ? "last error " : "ERROR ") << last_error << "\n";
      banner << "\n" << last_screen << std::flush;
    } else {
      banner << "roomctl inspect: " << now << (rc == exit_code::ok ? "" : " error: " + error)
             << "\n"
             << std::flush;
      if (rc == exit_code::ok)
        std::cout << (view.format == Format::yaml ? "---\n" : "") << screen << std::flush;
    }
    if (a.count > 0 && n >= a.count) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
}
}  // namespace

int inspect(const InspectArgs& a) {
  Call call;
  std::string usage;
  std::int64_t interval_ms = 0;
  usage = validate(a, interval_ms);
  if (!usage.empty() || !plan(a, call, usage)) {
    std::cerr << "roomctl inspect: " << usage << "\n";
    return exit_code::usage;
  }
  bool tty = isatty(STDOUT_FILENO);
  ViewOptions view;
  view.format = a.output == "json"   ? Format::json
                : a.output == "yaml" ? Format::yaml
                                     : Format::table;
  view.wide = a.output == "wide";
  view.color = tty && view.format == Format::table && !a.no_color;
  AdminClient client(a.server, a.token);
  if (a.watch) return watch(client, call, view, a, interval_ms, tty);
  std::string screen, error;
  int rc = once(client, call, view, screen, error);
  if (rc == exit_code::ok)
    std::cout << screen << std::flush;
  else
    std::cerr << "roomctl inspect: " << error << "\n";
  return rc;
}

}  // namespace roomctl::inspect
