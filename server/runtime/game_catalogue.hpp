// The game catalogue: the one place that knows, for every game, how it is created, joined,
// found and restored. The rooms runtime (RoomService) and the dispatcher route through it and
// know no game by name. To add a game: its pure state machine in games/<name>/ and one entry in
// game_catalogue.cpp.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/games/game.hpp"
#include "server/games/skribble/word_lists.hpp"
#include "server/games/spy/word_pairs.hpp"
#include "server/protocol/envelope.hpp"

namespace roomctl::config {
struct ServeOptions;
}

namespace roomctl::runtime {

// What games are made from: the serve options and the word data, loaded once at start.
struct GameData {
  explicit GameData(const config::ServeOptions& options);  // throws when a word file is bad
  const config::ServeOptions& options;
  std::vector<games::spy::WordPair> spy_pairs;
  games::skribble::WordLists skribble_words;
};

// A joinable index a quick join draws from, and the gameMode its reply names (empty: none).
struct JoinableSource {
  std::string_view index_key;
  std::string_view game_mode;
};

struct QuickJoin {
  std::string_view type;                // the client's message type
  std::vector<JoinableSource> sources;  // drawn from uniformly, over all their rooms
};

// A game state machine and the joinable index its room belongs to.
struct MadeGame {
  std::unique_ptr<games::Game> game;
  std::string index_key;
};

struct GameEntry {
  std::string_view name;        // stored with snapshots; Room::Info::game; metric label
  std::string_view event_from;  // the EventFrom its clients send (e.g. SpyGame)
  std::string_view create_type;
  std::string_view join_type;
  std::vector<QuickJoin> quick_joins;
  // Message types its clients send without EventFrom (the legacy app dialect): a frame without
  // EventFrom of one of these types is this game's.
  std::vector<std::string_view> legacy_types;
  std::vector<std::string_view> outcomes;  // game_finished outcome labels
  // Types the game relays as received and whose body it never reads (drawing messages): their
  // body is not parsed (protocol::EnvelopeLimits::body_unused). nullptr: none.
  bool (*relayed)(std::string_view type) = nullptr;
  // A new game for a create message, or an empty game and `error` (the reply's message) when the
  // message asks for something invalid.
  std::function<MadeGame(const GameData&, const protocol::Envelope&, const std::string& room_id,
                         std::uint64_t seed, std::string& error)>
      create;
  // The game of a stored snapshot; throws std::exception when the snapshot is not one.
  std::function<MadeGame(const GameData&, const boost::json::object& snapshot)> restore;
  // What a client gets for a message to a room that does not exist (or holds another game), in
  // the dialect of the message.
  std::function<std::vector<boost::json::object>(const protocol::Envelope&)> not_found;

  const QuickJoin* quick_join(std::string_view type) const;
};

const std::vector<GameEntry>& game_catalogue();
// The game a message is for: nullptr unless it is of Family::game with a known EventFrom, or
// has no EventFrom and a type some game takes in the legacy app dialect.
const GameEntry* game_for(const protocol::Envelope& env);
const GameEntry* game_named(std::string_view name);
// True if some game relays messages of this type without reading their body.
bool body_unused(std::string_view type);

}  // namespace roomctl::runtime
