// Rooms runtime, admin side: listing, inspecting, closing rooms, kicking users, the admin drain,
// stats.
#include <algorithm>

#include "server/runtime/room_service.hpp"
#include "server/runtime/user_directory.hpp"

namespace roomctl::runtime {

namespace json = boost::json;

json::object RoomService::list_rooms(const RoomQuery& q, Millis now) const {
  struct Row {
    std::string id;
    Room::Info info;
  };
  std::vector<Row> rows;
  for (auto& room : registry_.all()) {
    auto info = room->info();
    if (info.removed) continue;
    if (!q.game.empty() && info.game != q.game) continue;
    if (!q.phase.empty() && info.summary.phase != q.phase) continue;
    if (info.summary.players < q.min_players) continue;
    if (q.idle_over_ms >= 0 && now - info.last_activity <= q.idle_over_ms) continue;
    rows.push_back({room->id(), std::move(info)});
  }
  auto key = [&](const Row& r) -> std::int64_t {
    if (q.sort == "age") return -(now - r.info.created_at);
    if (q.sort == "idle") return -(now - r.info.last_activity);
    if (q.sort == "players") return -r.info.summary.players;
    return 0;
  };
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    auto ka = key(a), kb = key(b);
    return ka != kb ? ka < kb : a.id < b.id;  // oldest/idlest/fullest first, then by id
  });
  json::array out;
  std::size_t end = std::min(rows.size(), q.cursor + q.limit);
  for (std::size_t i = q.cursor; i < end; ++i) {
    const auto& r = rows[i];
    out.push_back(json::object{{"roomId", r.id},
                               {"game", r.info.game},
                               {"phase", r.info.summary.phase},
                               {"players", r.info.summary.players},
                               {"joinable", r.info.summary.joinable},
                               {"running", r.info.summary.running},
                               {"ageMs", now - r.info.created_at},
                               {"idleMs", now - r.info.last_activity}});
  }
  json::object result{{"rooms", std::move(out)}, {"total", rows.size()}};
  result["nextCursor"] =
      end < rows.size() ? json::value(std::to_string(end)) : json::value(nullptr);
  return result;
}

bool RoomService::inspect_room(const std::string& id, bool reveal,
                               std::function<void(json::object)> done) {
  auto room = registry_.find(id);
  if (!room) return false;
  room->inspect(reveal, std::move(done));
  return true;
}

bool RoomService::close_room(const std::string& id, const std::string& reason) {
  auto room = registry_.find(id);
  if (!room) return false;
  room->close(reason);
  return true;
}

bool RoomService::abandon(const std::string& id) {
  auto room = registry_.find(id);
  if (!room) return false;
  room->abandon();
  return true;
}

bool RoomService::kick_user(const std::string& user) {
  auto& d = directory_;
  if (!d.known(user)) return false;
  post_to_rooms(user, d.rooms(user), games::Event::Kind::leave);
  if (auto c = d.connection(user)) c->close(close_code::kicked, "removed by an operator");
  return true;
}

void RoomService::set_admin_drain(bool on) {
  admin_drain_ = on;
}
bool RoomService::admin_drain() const {
  return admin_drain_.load();
}

json::object RoomService::stats() const {
  std::map<std::string, int> by_game;
  std::int64_t players = 0, running = 0;
  for (auto& room : registry_.all()) {
    auto info = room->info();
    if (info.removed) continue;
    by_game[info.game]++;
    players += info.summary.players;
    running += info.summary.running ? 1 : 0;
  }
  json::object games;
  for (auto& [g, n] : by_game) games[g] = n;
  return {{"rooms", registry_.size()},
          {"roomsByGame", std::move(games)},
          {"runningGames", running},
          {"players", players},
          {"draining", admin_drain_.load()}};
}

}  // namespace roomctl::runtime
