// The inspect flow: build the admin request, call, map HTTP status to exit codes, render.
#include "inspect/inspect.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "inspect/admin_client.hpp"
#include "inspect/inspect_view.hpp"
#include "server/config/value.hpp"
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
            "\" (rooms, room ID, users ID, stats, close ROOM, kick USER, drain, resume)";
    return false;
  }
  return true;
}

// One request; prints the answer or the error; returns the exit code.
int once(const AdminClient& client, const Call& c, const ViewOptions& view, std::string& screen) {
  HttpResult r = c.method == "GET" ? client.get(c.target) : client.post(c.target);
  if (r.status == 0) {
    std::cerr << "roomctl inspect: cannot reach " << client.host() << ":" << client.port() << ": "
              << r.error << "\n";
    return exit_code::failure;
  }
  std::string error;
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (auto it = v.as_object().find("error"); it != v.as_object().end() && it->value().is_string())
      error = std::string(it->value().get_string());
  if (r.status == 401) {
    std::cerr << "roomctl inspect: unauthorized: pass --token or set ROOMCTL_ADMIN_TOKEN\n";
    return exit_code::unauthorized;
  }
  if (r.status == 404) {
    std::cerr << "roomctl inspect: " << (error.empty() ? "not found" : error) << "\n";
    return exit_code::not_found;
  }
  if (r.status != 200 || ec) {
    std::cerr << "roomctl inspect: server answered " << r.status << ": "
              << (error.empty() ? r.body : error) << "\n";
    return exit_code::failure;
  }
  screen = render(c.kind, v, view);
  return exit_code::ok;
}
}  // namespace

int inspect(const InspectArgs& a) {
  Call call;
  std::string usage;
  if (!plan(a, call, usage)) {
    std::cerr << "roomctl inspect: " << usage << "\n";
    return exit_code::usage;
  }
  bool tty = isatty(STDOUT_FILENO);
  ViewOptions view;
  view.format = a.output == "json"   ? Format::json
                : a.output == "yaml" ? Format::yaml
                                     : Format::table;
  view.color = tty && view.format == Format::table && !a.no_color;
  AdminClient client(a.server, a.token);

  std::int64_t interval_ms = 0;
  if (!a.watch.empty()) {
    config::Spec spec{"watch", config::Type::duration, "2s", "", 100};
    config::Value v;
    if (!config::parse_value(spec, a.watch, v).empty()) {
      std::cerr << "roomctl inspect: --watch takes a duration like 2s\n";
      return exit_code::usage;
    }
    interval_ms = std::get<std::int64_t>(v);
  }
  for (int n = 1;; ++n) {
    std::string screen;
    int rc = once(client, call, view, screen);
    if (rc != exit_code::ok && (interval_ms == 0 || rc != exit_code::failure)) return rc;
    // Redraw in place like watch(1): home the cursor and clear below.
    if (interval_ms && tty) std::cout << "\033[H\033[2J";
    if (interval_ms) std::cout << "every " << a.watch << " (Ctrl-C to stop)\n";
    std::cout << screen << std::flush;
    if (!interval_ms || (a.count > 0 && n >= a.count)) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
}

}  // namespace roomctl::inspect
