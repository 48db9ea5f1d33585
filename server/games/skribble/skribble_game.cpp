// SkribbleGame, part one: construction, the small lookups, the timer and the message handlers
// (lobby, settings, chat, drawing, word choice, vote kick, (dis)connects). Turn flow and timers
// live in skribble_turns.cpp, the views in skribble_views.cpp. ORIG behaviour unless a comment
// says FIX or OPT (docs/game-rules.md §skribble).
#include "server/games/skribble/skribble_game.hpp"

#include <algorithm>
#include <utility>

#include "server/games/game_timer.hpp"
#include "server/games/skribble/guess_rules.hpp"
#include "server/games/skribble/skribble_messages.hpp"
#include "server/protocol/fields.hpp"
#include "server/protocol/replies.hpp"
#include "server/protocol/utf8.hpp"

namespace roomctl::games::skribble {

using protocol::error_frame;
using protocol::frame;
using protocol::text_field;

namespace json = boost::json;

SkribbleGame::SkribbleGame(std::string room_id, Rules rules, const WordLists& words,
                           std::uint64_t seed)
    : words_(words) {
  s_.room_id = std::move(room_id);
  s_.rules = rules;
  s_.settings.players = std::min(s_.settings.players, rules.max_players_cap);
  s_.strokes.set_limits(rules.stroke_log_max_events, rules.stroke_log_max_bytes);
  s_.rng = seed;
}

SkribbleGame::SkribbleGame(State restored, const WordLists& words)
    : s_(std::move(restored)), words_(words) {
  rebuild_members();
}

bool SkribbleGame::is_drawing_type(std::string_view t) {
  return t == "SKRIBBLE_STROKE" || t == "SKRIBBLE_POINT" || t == "SKRIBBLE_DRAW" ||
         t == "START_SKRIBBLE_DRAWING" || t == "STOP_SKRIBBLE_DRAWING" || t == "SKRIBBLE_CLEAR" ||
         t == "SKRIBBLE_UNDO" || t == "SKRIBBLE_REDO" || t == "SKRIBBLE_TOOL_CHANGE" ||
         t == "SKRIBBLE_COLOR_CHANGE" || t == "SKRIBBLE_WIDTH_CHANGE";
}

int SkribbleGame::index_of(const std::string& user) const {
  for (std::size_t i = 0; i < s_.players.size(); ++i)
    if (s_.players[i].id == user) return static_cast<int>(i);
  return -1;
}
Player* SkribbleGame::find(const std::string& user) {
  int i = index_of(user);
  return i < 0 ? nullptr : &s_.players[static_cast<std::size_t>(i)];
}
bool SkribbleGame::running() const {
  return s_.phase != Phase::lobby && s_.phase != Phase::game_over;
}
const Player* SkribbleGame::drawer() const {
  bool seated = s_.drawer_idx >= 0 && s_.drawer_idx < static_cast<int>(s_.players.size());
  return running() && seated ? &s_.players[static_cast<std::size_t>(s_.drawer_idx)] : nullptr;
}
Player* SkribbleGame::drawer() {
  return const_cast<Player*>(std::as_const(*this).drawer());
}
bool SkribbleGame::is_drawer(const std::string& user) const {
  const Player* d = drawer();
  return d && d->id == user;
}
int SkribbleGame::connected_count() const {
  return static_cast<int>(
      std::count_if(s_.players.begin(), s_.players.end(), [](auto& p) { return p.connected; }));
}
void SkribbleGame::rebuild_members() {
  member_ids_.clear();
  for (const auto& p : s_.players) member_ids_.push_back(p.id);
}

std::optional<std::pair<Millis, std::uint64_t>> SkribbleGame::timer() const {
  return armed_timer(s_.deadline, s_.gen);
}

Summary SkribbleGame::summary() const {
  Summary sum;
  sum.phase = phase_name(s_.phase);
  sum.players = static_cast<int>(s_.players.size());
  sum.running = running();
  // FIX: ORIG leaves gameStarted=true after the game, hiding the room from quick join forever.
  sum.joinable = !sum.running && sum.players > 0 && sum.players < s_.settings.players;
  sum.open_seats = sum.joinable ? s_.settings.players - sum.players : 0;
  sum.empty = s_.players.empty();
  return sum;
}

void SkribbleGame::arm(Millis now, Millis unscaled_ms) {
  arm_timer(s_.deadline, s_.gen, now, unscaled_ms, s_.rules.time_scale);
}

void SkribbleGame::step(const Event& e, Millis now, Effects& fx) {
  switch (e.kind) {
    case Event::Kind::message:
      return on_message(e, now, fx);
    case Event::Kind::timer:
      if (e.timer_gen != s_.gen || s_.deadline == 0) return;
      s_.deadline = 0;
      fx.changed = true;
      return on_timer(now, fx);
    case Event::Kind::disconnected:
      return disconnected(e.user, now, fx);
    case Event::Kind::connected:
      return reconnect(e.user, fx);
    case Event::Kind::leave:
      return leave(e.user, now, fx);
    case Event::Kind::restored:
      for (auto& p : s_.players) p.connected = false;
      if (s_.phase == Phase::drawing) s_.drawer_gone_since = now;
      return;
  }
}

void SkribbleGame::on_message(const Event& e, Millis now, Effects& fx) {
  const json::object& body = e.body;
  if (e.type == "CREATE_SKRIBBLE_ROOM") return create(e, fx);
  if (e.type == "JOIN_SKRIBBLE_ROOM") return join(e, fx);
  if (!find(e.user)) {
    fx.to_one(e.user, error_frame("not_in_room", "join the room first"));
    return;
  }
  if (is_drawing_type(e.type)) return draw(e, now, fx);
  if (e.type == "SKRIBBLE_MESSAGE") return chat(e.user, body, now, fx);
  if (e.type == "GET_JOIN_EVENTS") return join_events(e.user, fx);
  if (e.type == "SKRIBBLE_GAME_SETTINGS") return settings(e, fx);
  if (e.type == "START_SKRIBBLE_GAME") return start(e.user, now, fx);
  if (e.type == "LEAVE_SKRIBBLE_ROOM") return leave(e.user, now, fx);
  if (e.type == "CHOOSE_WORD") return choose(e.user, body, now, fx);
  if (e.type == "VOTE_KICK") return vote_kick(e.user, body, now, fx);
  if (e.type == "GET_SKRIBBLE_ROOM_STATE")
    return send_snapshot(e.user, fx);  // FIX: ORIG's is empty
  if (e.type == "SKRIBBLE_ROUND_END") {
    if (is_drawer(e.user) && s_.phase == Phase::drawing)
      end_turn("drawer_ended", now, fx);  // FIX: drawer only
    else
      fx.to_one(e.user, error_frame("not_drawer", "only the drawer can end the turn"));
    return;
  }
  if (e.type == "GET_SKRIBBLE_WORD" || e.type == "SKRIBBLE_TIMER") return;  // legacy no-ops (ORIG)
  fx.to_one(e.user,
            error_frame("unknown_type", "unknown SkribbleGame message type \"" + e.type + "\""));
}

namespace {
// Names and avatars are cut to a byte limit at a code-point boundary: a cut inside a multi-byte
// letter would put invalid UTF-8 into every PLAYERS frame and into the snapshot.
constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxAvatarBytes = 256;

std::string player_name(const std::string& name, const std::string& user) {
  return name.empty() ? user : std::string(protocol::truncate_code_points(name, kMaxNameBytes));
}
std::string avatar_of(const json::object& body) {
  return std::string(protocol::truncate_code_points(text_field(body, "avatar"), kMaxAvatarBytes));
}
}  // namespace

void SkribbleGame::create(const Event& e, Effects& fx) {
  std::string name = text_field(e.body, "PlayerName");
  if (name.empty()) name = text_field(e.body, "name");
  Player host;
  host.id = e.user;
  host.name = player_name(name, e.user);
  host.avatar = avatar_of(e.body);
  s_.players.push_back(std::move(host));
  s_.host = e.user;
  rebuild_members();
  fx.joined.push_back(e.user);
  fx.statuses.emplace_back(e.user, UserStatus::in_room);
  fx.changed = true;
  fx.to_one(e.user, frame({{"type", "create_room_response"},
                           {"status", true},
                           {"message", "You have created the room successfully"},
                           {"roomId", s_.room_id}}));
  fx.to_one(e.user,
            frame({{"type", "PLAYER_ROLE"}, {"host", true}, {"gameSetting", setting_json()}}));
  broadcast_players(fx);
}

void SkribbleGame::join(const Event& e, Effects& fx) {
  json::object ok{{"type", "join_room_response"},
                  {"status", true},
                  {"message", "You have joined the room successfully"},
                  {"roomId", s_.room_id}};
  if (find(e.user)) {  // FIX: no duplicate seat; a second join is a rejoin
    fx.to_one(e.user, frame(ok));
    send_snapshot(e.user, fx);
    return;
  }
  if (static_cast<int>(s_.players.size()) >= s_.settings.players) {  // FIX: ORIG has no cap
    fx.to_one(e.user, frame({{"type", "join_room_response"},
                             {"status", false},
                             {"message", "Room is full"},
                             {"roomId", s_.room_id}}));
    return;
  }
  Player p;
  p.id = e.user;
  std::string name = text_field(e.body, "name");
  p.name = player_name(name, e.user);
  p.avatar = avatar_of(e.body);
  s_.players.push_back(std::move(p));
  rebuild_members();
  fx.joined.push_back(e.user);
  fx.statuses.emplace_back(e.user, running() ? UserStatus::in_game : UserStatus::in_room);
  fx.changed = true;
  fx.to_one(e.user, frame(ok));
  broadcast_players(fx);
  if (running()) send_snapshot(e.user, fx);  // FIX: a mid-game joiner sees the canvas
}

void SkribbleGame::join_events(const std::string& user, Effects& fx) {
  fx.to_one(user, frame({{"type", "join_room_response"},
                         {"status", true},
                         {"message", "You have joined the room successfully"},
                         {"roomId", s_.room_id}}));
  fx.to_one(
      user,
      frame({{"type", "PLAYER_ROLE"}, {"host", user == s_.host}, {"gameSetting", setting_json()}}));
  broadcast_players(fx);
  send_snapshot(user, fx);
}

void SkribbleGame::settings(const Event& e, Effects& fx) {
  // FIX: ORIG accepts settings from anyone at any time.
  if (e.user != s_.host)
    return fx.to_one(e.user, error_frame("not_host", "only the host can change settings"));
  if (running())
    return fx.to_one(e.user, error_frame("game_running", "settings can change only in the lobby"));
  const json::object* in = nullptr;
  if (auto it = e.body.find("settings"); it != e.body.end() && it->value().is_object())
    in = &it->value().get_object();
  if (!in) return fx.to_one(e.user, error_frame("bad_settings", "settings must be an object"));
  Settings next = s_.settings;
  std::string err =
      parse_settings(*in, next, static_cast<int>(s_.players.size()), s_.rules.max_players_cap);
  if (!err.empty()) return fx.to_one(e.user, error_frame("bad_settings", err));
  s_.settings = std::move(next);
  fx.changed = true;
  fx.to_all_but(e.user, e.raw);  // ORIG relays the settings verbatim
}

void SkribbleGame::start(const std::string& user, Millis now, Effects& fx) {
  if (user != s_.host)
    return fx.to_one(user, error_frame("not_host", "only the host can start the game"));
  if (running()) return fx.to_one(user, error_frame("game_running", "the game is already running"));
  // FIX: ORIG starts with any number of players and keeps old scores.
  if (connected_count() < 2)
    return fx.to_one(user, error_frame("not_enough_players", "at least 2 players are needed"));
  for (auto& p : s_.players) {
    p.score = 0;
    p.turn_points = -1;
    p.guessed = false;
    fx.statuses.emplace_back(p.id, UserStatus::in_game);
  }
  s_.used_words.clear();
  s_.round = 1;
  s_.drawer_idx = -1;
  s_.game_over_sent = false;
  fx.game_started = true;
  fx.to_all(frame(
      {{"type", "START_GAME"}, {"payload", "Game started"}, {"gameSetting", setting_json()}}));
  advance(now, fx);
}

void SkribbleGame::chat(const std::string& user, const json::object& body, Millis now,
                        Effects& fx) {
  std::string raw = text_field(body, "message");
  if (raw.size() > static_cast<std::size_t>(s_.rules.max_chat_bytes))
    return;  // dropped (scribble.rs)
  std::string text = normalise(raw);
  if (text.empty()) return;
  Player& p = *find(user);
  // The window scales with the game clock, like every other timing of the game.
  Millis window = scaled_ms(kChatWindowMs, s_.rules.time_scale);
  std::erase_if(p.recent, [&](Millis t) { return now - t >= window; });
  if (static_cast<int>(p.recent.size()) >= kChatPerWindow) {
    fx.refusals.push_back("chat_rate");
    return fx.to_one(user, error_frame("rate_limited", "at most 5 messages per 3 seconds"));
  }
  p.recent.push_back(now);
  fx.changed = true;
  auto line = frame({{"type", "MESSAGE"}, {"message", p.name + " : " + raw}});
  if (s_.phase != Phase::drawing) return fx.to_all(line);
  if (is_drawer(user) || p.guessed) {
    // Only those who know the word see it; never scored (FIX: ORIG re-broadcasts WORD_MATCHED).
    for (const auto& q : s_.players)
      if (q.guessed || is_drawer(q.id)) fx.to_one(q.id, line);
    return;
  }
  std::string word = normalise(s_.word);
  if (text == word) return guessed(user, now, fx);
  if (is_close_guess(text, word))  // FIX: Damerau distance 1, told only to the guesser
    fx.to_one(user, frame({{"type", "CLOSE_GUESS"}, {"message", "'" + raw + "' is close!"}}));
  fx.to_all(line);
}

void SkribbleGame::draw(const Event& e, Millis now, Effects& fx) {
  if (!is_drawer(e.user) || s_.phase != Phase::drawing) {  // FIX: ORIG relays from anyone
    fx.refusals.push_back("not_drawer");
    return fx.to_one(e.user,
                     error_frame("not_drawer", "only the drawer can draw, and only while drawing"));
  }
  double rate = s_.rules.draw_messages_per_second;
  s_.draw_tokens = std::min<double>(
      s_.rules.draw_burst,
      s_.draw_tokens + static_cast<double>(now - s_.draw_refill_at) * rate / 1000.0);
  s_.draw_refill_at = now;
  if (s_.draw_tokens < 1) {
    fx.refusals.push_back("draw_rate");
    return;
  }
  s_.draw_tokens -= 1;
  auto logged = s_.strokes.apply(e.type, *e.raw, now);
  if (logged == StrokeLog::Result::full) {
    if (!s_.stroke_log_full) {
      s_.stroke_log_full = true;  // relayed, no longer logged; counted once per turn
      fx.refusals.push_back("stroke_log");
      fx.changed = true;
    }
  } else {
    fx.strokes_changed = true;  // nothing to persist when the log did not change
  }
  fx.to_all_but(e.user, e.raw);  // byte for byte: the server never re-encodes a drawing
}

void SkribbleGame::choose(const std::string& user, const json::object& body, Millis now,
                          Effects& fx) {
  if (s_.phase != Phase::choosing || !is_drawer(user))
    return fx.to_one(user, error_frame("not_choosing", "no word choice is open for you"));
  std::int64_t index = -1;
  if (auto it = body.find("index"); it != body.end() && it->value().is_int64())
    index = it->value().get_int64();
  if (index < 0 || index >= static_cast<std::int64_t>(s_.choices.size()))
    return fx.to_one(user, error_frame("bad_field", "index must name one of the offered words"));
  s_.word = s_.choices[static_cast<std::size_t>(index)];
  start_drawing_after_choice(now, fx);
}

void SkribbleGame::vote_kick(const std::string& user, const json::object& body, Millis now,
                             Effects& fx) {
  std::string target = text_field(body, "targetId");
  if (target == user || index_of(target) < 0)
    return fx.to_one(user, error_frame("bad_vote", "vote to kick another player of this room"));
  auto& voters = s_.kick_votes[target];
  voters.insert(user);
  int connected = connected_count();
  int needed = connected <= 2 ? 2 : (connected + 1) / 2;
  // FIX: only votes of players still seated and connected count. ORIG kept the votes of players
  // who left, so one client could join under fresh userIds, vote, leave and repeat until anyone
  // was kicked (docs/game-rules.md §skribble.kick).
  int count = static_cast<int>(std::count_if(voters.begin(), voters.end(), [this](const auto& v) {
    const Player* p = find(v);
    return p && p->connected;
  }));
  fx.changed = true;
  fx.to_all(
      frame({{"type", "VOTE_KICK"}, {"target", target}, {"count", count}, {"needed", needed}}));
  if (count >= needed) {
    s_.kick_votes.erase(target);
    fx.kicked.push_back(target);
    leave(target, now, fx, true);
  }
}

void SkribbleGame::reconnect(const std::string& user, Effects& fx) {
  Player* p = find(user);
  if (!p) return;
  p->connected = true;
  if (is_drawer(user)) s_.drawer_gone_since = 0;
  fx.changed = true;
  send_snapshot(user, fx);
}

void SkribbleGame::disconnected(const std::string& user, Millis now, Effects& fx) {
  Player* p = find(user);
  if (!p) return;
  p->connected = false;
  fx.changed = true;
  if (s_.phase != Phase::drawing) return;
  if (is_drawer(user))
    s_.drawer_gone_since = now;
  else
    check_all_guessed(now, fx);
}

}  // namespace roomctl::games::skribble
