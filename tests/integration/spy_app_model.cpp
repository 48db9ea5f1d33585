// The spy app model's handlers (see spy_app_model.hpp): one per frame type the app listens to,
// each checking what the app's handler reads from the frame, and the app session's sending side.
#include "tests/integration/spy_app_model.hpp"

#include <algorithm>

namespace roomctl::test {

namespace json = boost::json;
using protocol::Dialect;

void SpyAppModel::fail(const std::string& what, const json::object& frame) {
  errors.push_back(user_ + ": " + what + " in " + json::serialize(frame));
}

bool SpyAppModel::need_string(const json::object& f, const char* key) {
  auto it = f.find(key);
  if (it != f.end() && it->value().is_string()) return true;
  fail(std::string(key) + " is not a string", f);
  return false;
}

// A list the app renders as userId strings (substring, charAt, includes).
bool SpyAppModel::need_strings(const json::object& f, const json::value& v, const char* what,
                               std::vector<std::string>& out) {
  if (!v.is_array()) {
    fail(std::string(what) + " is not an array", f);
    return false;
  }
  std::vector<std::string> list;
  for (const auto& e : v.as_array()) {
    if (!e.is_string()) {
      fail(std::string(what) + " has an entry that is not a userId string (crash)", f);
      return false;
    }
    list.emplace_back(e.as_string());
  }
  out = std::move(list);
  return true;
}

bool SpyAppModel::before(const std::string& first, const std::string& then) const {
  auto f = std::find(handled.begin(), handled.end(), first);
  auto t = std::find(handled.rbegin(), handled.rend(), then);
  return f != handled.end() && t != handled.rend() && f < t.base() - 1;
}

void SpyAppModel::player_list_frame(const json::object& f) {
  auto it = f.find("playerList");
  if (it == f.end()) return fail("playerList has no playerList", f);
  if (dialect_ == Dialect::legacy_app) {
    need_strings(f, it->value(), "playerList", player_list);
    return;
  }
  // EventFrom clients (ORIG since 2025-11-04) read {userId,name} entries, sent on request only.
  if (++player_lists_ > *asks) return fail("unsolicited playerList", f);
  if (!it->value().is_array()) return fail("playerList is not an array", f);
  player_list.clear();
  for (const auto& e : it->value().as_array()) {
    if (!e.is_object() || !e.as_object().contains("userId") ||
        !e.as_object().at("userId").is_string() || !e.as_object().contains("name") ||
        !e.as_object().at("name").is_string())
      return fail("playerList entry is not {userId,name}", f);
    player_list.emplace_back(e.as_object().at("userId").as_string());
  }
}

void SpyAppModel::room_state(const json::object& f) {
  auto it = f.find("roomState");
  if (it == f.end() || !it->value().is_object()) return fail("roomState is not an object", f);
  const auto& rs = it->value().as_object();
  auto rd = rs.find("readyStatus");
  if (rd == rs.end() || !rd->value().is_object()) return fail("readyStatus is not an object", f);
  ready.clear();
  for (const auto& [id, v] : rd->value().as_object()) {
    if (!v.is_bool()) return fail("readyStatus value is not a bool", f);
    ready[std::string(id)] = v.as_bool();
  }
  std::vector<std::string> ignored;
  if (auto a = rs.find("alivePlayers"); a != rs.end())
    need_strings(f, a->value(), "roomState.alivePlayers", ignored);
  if (auto c = rs.find("chats"); c != rs.end()) need_strings(f, c->value(), "chats", ignored);
}

void SpyAppModel::end_voting(const json::object& f) {
  if (!voting_) fail("end_voting without start_voting", f);
  voting_ = false;
  voting_ended_ = true;
  voting_results.clear();
  auto it = f.find("votingResults");
  if (it == f.end()) return;  // the app checks for it
  if (!it->value().is_object()) return fail("votingResults is not an object", f);
  for (const auto& [target, voters] : it->value().as_object())
    need_strings(f, voters, "votingResults voters", voting_results[std::string(target)]);
}

void SpyAppModel::game_ended(const json::object& f) {
  if (!game_started) fail("game_ended outside a game", f);
  if (need_string(f, "winner")) {
    winner = std::string(f.at("winner").as_string());
    if (winner != "spy" && winner != "civilians") fail("winner is not spy or civilians", f);
  }
  if (need_string(f, "spy")) spy = std::string(f.at("spy").as_string());
  ++games_ended;
  game_started = false;
  word.clear();
  is_spy = false;
  speaker.clear();
  voting_ = voting_ended_ = false;
  alive = player_list;  // the app resets its alive list to its seats
}

void SpyAppModel::read(const json::object& f) {
  auto t = f.find("type");
  if (t == f.end() || !t->value().is_string()) return;  // the app ignores it
  std::string type(t->value().as_string());
  static const std::vector<std::string> legacy_only = {"room_seat_available", "room_full",
                                                       "room_not_found"};
  bool is_legacy_only =
      std::find(legacy_only.begin(), legacy_only.end(), type) != legacy_only.end();
  if (dialect_ == Dialect::event_from && is_legacy_only)
    return fail("a legacy app frame to an EventFrom client", f);
  handled.push_back(type);
  if (type == "quick_join_response") {
    if (need_string(f, "roomId")) quick_join_room = std::string(f.at("roomId").as_string());
  } else if (type == "room_seat_available") {
    need_string(f, "userId");
    if (need_string(f, "roomId")) in_room = true;  // navigates to the room screen
  } else if (type == "room_full" || type == "room_not_found") {
    alerts.push_back(type);
  } else if (type == "join_room_response") {
    if (dialect_ == Dialect::legacy_app) return;  // no handler
    if (!f.contains("status") || !f.at("status").is_bool()) return fail("status not a bool", f);
    need_string(f, "message");
    if (f.at("status").as_bool()) in_room = true;
  } else if (type == "room_state") {
    room_state(f);
  } else if (type == "playerList") {
    player_list_frame(f);
  } else if (type == "player_ready" || type == "player_not_ready") {
    if (need_string(f, "playerId"))
      ready[std::string(f.at("playerId").as_string())] = type == "player_ready";
  } else if (type == "countdown") {
    if (!f.contains("seconds") || !f.at("seconds").is_int64()) return fail("seconds", f);
    auto s = f.at("seconds").as_int64();
    if (!game_started) fail("countdown before gameStarted", f);
    if (s >= last_countdown_) fail("countdown does not count down", f);
    last_countdown_ = static_cast<int>(s);
  } else if (type == "gameStarted") {
    if (game_started) fail("gameStarted twice", f);
    game_started = true;
    last_countdown_ = 4;
    round = 0;
    ready.clear();
    alive = player_list;
    if (auto it = f.find("playerList"); it != f.end())
      need_strings(f, it->value(), "gameStarted.playerList", alive);
  } else if (type == "spy" || type == "civilianWord") {
    if (!game_started) fail("the word came before gameStarted", f);
    if (last_countdown_ != 0) fail("the word came before the countdown ended", f);
    if (need_string(f, "word")) word = std::string(f.at("word").as_string());
    is_spy = type == "spy";
  } else if (type == "round_started") {
    if (!f.contains("roundNo") || !f.at("roundNo").is_int64()) return fail("roundNo", f);
    if (f.at("roundNo").as_int64() != round + 1) fail("rounds do not follow each other", f);
    round = static_cast<int>(f.at("roundNo").as_int64());
    if (word.empty()) fail("round_started before the word", f);
  } else if (type == "speak_statement") {
    if (!game_started) fail("speak_statement outside a game", f);
    if (need_string(f, "currentSpeaker")) speaker = std::string(f.at("currentSpeaker").as_string());
    voting_ended_ = false;
  } else if (type == "start_voting") {
    if (!game_started) fail("start_voting outside a game", f);
    voting_ = true;
    voting_ended_ = false;
  } else if (type == "end_voting") {
    end_voting(f);
  } else if (type == "alivePlayers") {
    if (!voting_ended_) fail("alivePlayers before end_voting", f);
    if (auto it = f.find("alivePlayers"); it != f.end())
      need_strings(f, it->value(), "alivePlayers", alive);
    else
      fail("alivePlayers has no alivePlayers", f);
  } else if (type == "game_ended") {
    game_ended(f);
  } else if (type == "chat") {
    if (need_string(f, "chat")) chats.emplace_back(f.at("chat").as_string());
  } else if (type == "player_left") {
    if (!need_string(f, "playerLeft")) return;
    std::string gone(f.at("playerLeft").as_string());
    std::erase(player_list, gone);
    std::erase(alive, gone);
  } else {
    handled.pop_back();  // no handler: ignored
  }
}

void AppSession::send(const std::string& type, json::object fields) {
  if (!legacy()) fields["EventFrom"] = "SpyGame";
  fields["type"] = type;
  if (type != "QUICK_JOIN") fields["userId"] = user;
  if (type == "GET_JOIN_EVENTS") model.allow_player_list();
  inbox.ws->send(json::serialize(fields));
}

void AppSession::create(const std::string& room) {
  send("CREATE_ROOM", {{"roomId", room}});
  next("create_room_response");  // no handler in the app; the test waits so others can join
  model.in_room = true;          // the app opens its room screen right after sending CREATE_ROOM
  mount_room(room);
}

bool AppSession::join(const std::string& room) {
  send("join_room", {{"roomId", room}});
  if (legacy()) {
    // The home screen waits for one of these three.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      sync(std::chrono::milliseconds(20));
      if (model.in_room) break;
      if (!model.alerts.empty()) return false;
    }
    if (!model.in_room) return false;
  } else {
    auto r = next("join_room_response");
    if (!r || !r->at("status").as_bool()) return false;
  }
  mount_room(room);
  return true;
}

// React runs the room view's effects before the screen's: notready first, then the re-join.
void AppSession::mount_room(const std::string& room) {
  send("notready", {{"roomId", room}});
  send("join_room", {{"roomId", room}});
  if (!legacy()) send("GET_JOIN_EVENTS", {{"roomId", room}});
}

void AppSession::tap_ready(const std::string& room) {
  send("notready", {{"roomId", room}});
  send("ready", {{"roomId", room}});
}

void AppSession::chat(const std::string& room, const std::string& text) {
  send("send_chat", {{"roomId", room}, {"chat", user + ": " + text}});
}

void AppSession::vote(const std::string& room, const std::string& target) {
  send("vote", {{"roomId", room}, {"votedPlayer", target}});
}

void AppSession::feed() {
  for (; fed_ < inbox.all.size(); ++fed_) model.read(inbox.all[fed_]);
}

std::optional<json::object> AppSession::next(const std::string& type,
                                             std::chrono::milliseconds timeout) {
  auto r = inbox.next(type, timeout);
  feed();
  return r;
}

void AppSession::sync(std::chrono::milliseconds settle) {
  inbox.pump(settle);
  feed();
}

}  // namespace roomctl::test
