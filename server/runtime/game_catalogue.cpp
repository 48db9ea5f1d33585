// The catalogue's entries: spy and skribble. Add an entry here to register a new game.
#include "server/runtime/game_catalogue.hpp"

#include <algorithm>

#include "server/config/serve_options.hpp"
#include "server/games/skribble/skribble_game.hpp"
#include "server/games/spy/spy_game.hpp"

namespace roomctl::runtime {

namespace json = boost::json;
using protocol::Family;

GameData::GameData(const config::ServeOptions& o)
    : options(o),
      spy_pairs(o.spy_word_pairs_file.empty() ? games::spy::builtin_word_pairs()
                                              : games::spy::load_word_pairs(o.spy_word_pairs_file)),
      skribble_words(games::skribble::builtin_word_lists()) {
  std::vector<std::string>* lists[3] = {&skribble_words.easy, &skribble_words.medium,
                                        &skribble_words.hard};
  for (int i = 0; i < 3; ++i)
    if (!o.skribble_words_files[i].empty())
      *lists[i] = games::skribble::load_words(o.skribble_words_files[i]);
}

const QuickJoin* GameEntry::quick_join(std::string_view type) const {
  for (const auto& q : quick_joins)
    if (q.type == type) return &q;
  return nullptr;
}

namespace {

json::object room_not_found(const protocol::Envelope& env) {
  return {{"type", "join_room_response"},
          {"status", false},
          {"message", "Room not found"},
          {"roomId", env.room_id}};
}

GameEntry spy_entry() {
  GameEntry e;
  e.name = "spy";
  e.event_from = "SpyGame";
  e.create_type = "CREATE_ROOM";
  e.join_type = "join_room";
  JoinableSource word{"spy/word_spy", "word_spy"}, wordless{"spy/wordless_spy", "wordless_spy"};
  // QUICK_JOIN is the public app's: any spy room, the reply naming its mode (as ORIG c3f330b,
  // whose app sends it, often as the first frame and without a userId).
  e.quick_joins = {{"QUICK_JOIN_WORD_SPY", {word}},
                   {"QUICK_JOIN_WORDLESS_SPY", {wordless}},
                   {"QUICK_JOIN", {word, wordless}}};
  e.legacy_types = {"CREATE_ROOM", "join_room", "ready",      "notready",
                    "send_chat",   "vote",      "leave_room", "skip_speaking_statement",
                    "QUICK_JOIN"};
  e.outcomes = {"civilians", "spy"};
  e.create = [](const GameData& d, const protocol::Envelope& env, const std::string& id,
                std::uint64_t seed, std::string& error) -> MadeGame {
    std::string mode = "word_spy";
    if (!protocol::get_string(env.body, "gameMode", mode) ||
        (mode != "word_spy" && mode != "wordless_spy")) {
      error = "gameMode must be word_spy or wordless_spy";
      return {};
    }
    const auto& o = d.options;
    games::spy::Rules rules;
    rules.mode = mode;
    rules.max_players = std::min<int>(6, static_cast<int>(o.limits.max_players_per_room));
    rules.max_rounds = static_cast<int>(o.spy_max_rounds);
    rules.time_scale = o.time_scale;
    rules.max_chat_length = static_cast<int>(o.limits.max_chat_length);
    rules.max_name_length = static_cast<int>(o.limits.max_name_length);
    return {std::make_unique<games::spy::SpyGame>(id, rules, d.spy_pairs, seed), "spy/" + mode};
  };
  e.restore = [](const GameData& d, const json::object& snapshot) -> MadeGame {
    auto state = games::spy::state_from_json(snapshot);
    std::string key = "spy/" + state.rules.mode;
    return {std::make_unique<games::spy::SpyGame>(std::move(state), d.spy_pairs), key};
  };
  e.not_found = [](const protocol::Envelope& env) {
    std::vector<json::object> out;
    if (env.dialect == protocol::Dialect::legacy_app) {
      // The app's home screen alerts on room_not_found at any time: only a join gets it.
      if (env.type == "join_room")
        out.push_back({{"type", "room_not_found"}, {"roomId", env.room_id}});
      else
        out.push_back({{"type", "error"}, {"code", "room_not_found"}, {"message", "no such room"}});
      return out;
    }
    if (env.type == "join_room") out.push_back(room_not_found(env));
    out.push_back({{"type", "spy_room_not_found"}, {"roomId", env.room_id}});
    return out;
  };
  return e;
}

GameEntry skribble_entry() {
  GameEntry e;
  e.name = "skribble";
  e.event_from = "SkribbleGame";
  e.create_type = "CREATE_SKRIBBLE_ROOM";
  e.join_type = "JOIN_SKRIBBLE_ROOM";
  e.quick_joins = {{"QUICK_JOIN_SKRIBBLE_ROOM", {{"skribble", ""}}}};
  e.relayed = &games::skribble::SkribbleGame::is_drawing_type;
  e.outcomes = {"completed", "abandoned"};
  e.create = [](const GameData& d, const protocol::Envelope&, const std::string& id,
                std::uint64_t seed, std::string&) -> MadeGame {
    const auto& o = d.options;
    games::skribble::Rules rules;
    rules.time_scale = o.time_scale;
    rules.max_players_cap = static_cast<int>(o.limits.max_players_per_room);
    rules.stroke_log_max_events = static_cast<std::size_t>(o.stroke_log_max_events);
    rules.stroke_log_max_bytes = static_cast<std::size_t>(o.stroke_log_max_bytes);
    rules.draw_messages_per_second = o.draw_messages_per_second;
    rules.draw_burst = static_cast<int>(o.draw_burst);
    return {std::make_unique<games::skribble::SkribbleGame>(id, rules, d.skribble_words, seed),
            "skribble"};
  };
  e.restore = [](const GameData& d, const json::object& snapshot) -> MadeGame {
    return {std::make_unique<games::skribble::SkribbleGame>(
                games::skribble::state_from_json(snapshot), d.skribble_words),
            "skribble"};
  };
  e.not_found = [](const protocol::Envelope& env) {
    return std::vector<json::object>{room_not_found(env)};
  };
  return e;
}

}  // namespace

// Add an entry here to register a new game.
const std::vector<GameEntry>& game_catalogue() {
  static const std::vector<GameEntry> games = {spy_entry(), skribble_entry()};
  return games;
}

const GameEntry* game_for(const protocol::Envelope& env) {
  if (env.family == Family::none) {
    for (const auto& g : game_catalogue())
      if (std::find(g.legacy_types.begin(), g.legacy_types.end(), env.type) != g.legacy_types.end())
        return &g;
    return nullptr;
  }
  if (env.family != Family::game) return nullptr;
  for (const auto& g : game_catalogue())
    if (g.event_from == env.event_from) return &g;
  return nullptr;
}

const GameEntry* game_named(std::string_view name) {
  for (const auto& g : game_catalogue())
    if (g.name == name) return &g;
  return nullptr;
}

bool body_unused(std::string_view type) {
  for (const auto& g : game_catalogue())
    if (g.relayed && g.relayed(type)) return true;
  return false;
}

}  // namespace roomctl::runtime
