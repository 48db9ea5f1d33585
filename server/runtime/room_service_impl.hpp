// Internal to the rooms runtime: RoomService's state and room logic, shared by
// room_service.cpp (routing, creation, restore) and room_service_admin.cpp (admin queries).
// Not for other layers: include room_service.hpp instead.
#pragma once

#include "server/runtime/room_service.hpp"

#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include "server/config/serve_options.hpp"
#include "server/games/skribble/skribble_game.hpp"
#include "server/games/spy/spy_game.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/protocol/stored_json.hpp"
#include "server/runtime/outbox.hpp"
#include "server/runtime/persistence.hpp"
#include "server/runtime/presence.hpp"
#include "server/runtime/room.hpp"
#include "server/runtime/room_registry.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/store/state_store.hpp"
#include "server/util/log.hpp"
#include "server/util/process_stats.hpp"

namespace roomctl::runtime {

namespace json = boost::json;
using protocol::Family;

inline Frame msg(const json::object& o) {
  return make_frame(json::serialize(o));
}

class RoomService::Impl {
 public:
  Impl(boost::asio::io_context& ioc, const config::ServeOptions& o, UserDirectory& d, Presence& p,
       metrics::ServerMetrics& m, Persistence* persistence)
      : ioc(ioc), options(o), directory(d), metrics(m), deps{d,
                                                             p,
                                                             m,
                                                             registry,
                                                             o.store_flush_interval_ms,
                                                             o.store_stroke_flush_interval_ms,
                                                             nullptr,
                                                             nullptr} {
    if (persistence) {
      deps.save = [persistence](const std::string& id, std::string game, std::string snapshot) {
        persistence->save({id, std::move(game), std::move(snapshot)});
      };
    }
    if (!o.spy_word_pairs_file.empty())
      spy_pairs = games::spy::load_word_pairs(o.spy_word_pairs_file);
    else
      spy_pairs = games::spy::builtin_word_pairs();
    skribble_words = games::skribble::builtin_word_lists();
    std::vector<std::string>* lists[3] = {&skribble_words.easy, &skribble_words.medium,
                                          &skribble_words.hard};
    for (int i = 0; i < 3; ++i)
      if (!o.skribble_words_files[i].empty())
        *lists[i] = games::skribble::load_words(o.skribble_words_files[i]);
    deps.on_removed = [persistence](const std::string& id, const std::string& reason) {
      log::debug("room_removed", {{"room", id}, {"reason", reason}});
      if (persistence) persistence->erase(id);  // removed rooms leave the store too
    };
  }

  // Rooms are created on the creating connection's strand, so several threads draw at once.
  std::uint64_t seed() {
    std::lock_guard lock(id_random_mutex);
    return id_random();
  }

  std::string generate_id() {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string id;
    do {
      id.clear();
      std::lock_guard lock(id_random_mutex);
      for (int i = 0; i < 12; ++i) id += alphabet[id_random() % 36];
    } while (registry.find(id));
    return id;
  }

  bool is_quarantined(const std::string& id) {
    std::lock_guard lock(quarantine_mutex);
    return quarantine.count(id) != 0;
  }

  // Limits on room creation; on refusal the reply is sent and false returned.
  bool may_create(Client& c, const std::string& reply_type, const std::string& room_id) {
    const char* limit = nullptr;
    std::string text;
    if (is_quarantined(room_id)) {
      limit = "quarantined";
      text = "A room with this id already exists";
    } else if (draining.load()) {
      limit = "draining";
      text = "The server is draining; try another server";
    } else if (static_cast<std::int64_t>(registry.size()) >= options.limits.max_rooms) {
      limit = "max_rooms";
      text = "The server has too many rooms; try again later";
    } else if (over_watermark.load()) {
      limit = "memory_watermark";
      text = "The server is low on memory; try again later";
    }
    if (!limit) return true;
    metrics.refusals.with({limit}).inc();
    c.send(msg({{"type", reply_type},
                {"status", false},
                {"message", text},
                {"roomId", room_id},
                {"code", limit}}));
    return false;
  }

  void create_spy(Client& c, protocol::Envelope& env) {
    std::string mode = "word_spy";
    if (!protocol::get_string(env.body, "gameMode", mode) ||
        (mode != "word_spy" && mode != "wordless_spy")) {
      c.send(msg({{"type", "create_room_response"},
                  {"status", false},
                  {"message", "gameMode must be word_spy or wordless_spy"},
                  {"roomId", env.room_id}}));
      return;
    }
    std::string id = env.room_id.empty() ? generate_id() : env.room_id;
    if (!may_create(c, "create_room_response", id)) return;
    games::spy::Rules rules;
    rules.mode = mode;
    rules.max_players = std::min<int>(6, static_cast<int>(options.limits.max_players_per_room));
    rules.max_rounds = static_cast<int>(options.spy_max_rounds);
    rules.time_scale = options.time_scale;
    rules.max_chat_length = static_cast<int>(options.limits.max_chat_length);
    rules.max_name_length = static_cast<int>(options.limits.max_name_length);
    auto game = std::make_unique<games::spy::SpyGame>(id, rules, spy_pairs, seed());
    auto room =
        std::make_shared<Room>(ioc, id, "spy/" + mode, std::move(game), deps, wall_now_ms());
    if (!registry.insert(id, room)) {  // FIX: ORIG silently replaces the existing room
      c.send(msg({{"type", "create_room_response"},
                  {"status", false},
                  {"message", "A room with this id already exists"},
                  {"roomId", id}}));
      return;
    }
    env.type = "CREATE_ROOM";
    post_message(*room, c.user, env);
  }

  void quick_join(Client& c, const std::string& index_key, const char* mode) {
    auto id = draining.load() ? std::nullopt : registry.pick_joinable(index_key);
    if (!id) {
      c.send(msg(
          {{"type", "quick_join_response"}, {"status", false}, {"message", "No rooms available"}}));
      return;
    }
    json::object o{{"type", "quick_join_response"}, {"status", true}, {"roomId", *id}};
    if (mode) o["gameMode"] = mode;
    c.send(msg(o));
  }

  // While draining, only members already seated may (re)join.
  bool refuse_new_member(Client& c, const std::string& room_id) {
    if (!draining.load()) return false;
    auto rooms = directory.rooms(c.user);
    if (std::find(rooms.begin(), rooms.end(), room_id) != rooms.end()) return false;
    metrics.refusals.with({"draining"}).inc();
    c.send(msg({{"type", "join_room_response"},
                {"status", false},
                {"message", "The server is draining; try another server"},
                {"roomId", room_id}}));
    return true;
  }

  void post_message(Room& room, const std::string& user, protocol::Envelope& env) {
    games::Event e;
    e.kind = games::Event::Kind::message;
    e.user = user;
    e.type = env.type;
    room.post(std::move(e), std::move(env.body));
  }

  void handle_spy(Client& c, protocol::Envelope& env) {
    if (env.type == "CREATE_ROOM") return create_spy(c, env);
    if (env.type == "QUICK_JOIN_WORD_SPY") return quick_join(c, "spy/word_spy", "word_spy");
    if (env.type == "QUICK_JOIN_WORDLESS_SPY")
      return quick_join(c, "spy/wordless_spy", "wordless_spy");
    auto room = env.room_id.empty() ? nullptr : registry.find(env.room_id);
    if (!room || room->info().game != "spy") {
      if (env.type == "join_room")
        c.send(msg({{"type", "join_room_response"},
                    {"status", false},
                    {"message", "Room not found"},
                    {"roomId", env.room_id}}));
      c.send(msg({{"type", "spy_room_not_found"}, {"roomId", env.room_id}}));
      return;
    }
    if (env.type == "join_room" && refuse_new_member(c, env.room_id)) return;
    post_message(*room, c.user, env);
  }

  void create_skribble(Client& c, protocol::Envelope& env) {
    std::string id = env.room_id.empty() ? generate_id() : env.room_id;
    if (!may_create(c, "create_room_response", id)) return;
    games::skribble::Rules rules;
    rules.time_scale = options.time_scale;
    rules.max_players_cap = static_cast<int>(options.limits.max_players_per_room);
    rules.stroke_log_max_events = static_cast<std::size_t>(options.stroke_log_max_events);
    rules.stroke_log_max_bytes = static_cast<std::size_t>(options.stroke_log_max_bytes);
    rules.draw_messages_per_second = options.draw_messages_per_second;
    rules.draw_burst = static_cast<int>(options.draw_burst);
    auto game = std::make_unique<games::skribble::SkribbleGame>(id, rules, skribble_words, seed());
    auto room = std::make_shared<Room>(ioc, id, "skribble", std::move(game), deps, wall_now_ms());
    if (!registry.insert(id, room)) {
      c.send(msg({{"type", "create_room_response"},
                  {"status", false},
                  {"message", "A room with this id already exists"},
                  {"roomId", id}}));
      return;
    }
    post_message(*room, c.user, env);
  }

  void handle_skribble(Client& c, protocol::Envelope& env, const Frame& raw) {
    if (env.type == "CREATE_SKRIBBLE_ROOM") return create_skribble(c, env);
    if (env.type == "QUICK_JOIN_SKRIBBLE_ROOM") return quick_join(c, "skribble", nullptr);
    auto room = env.room_id.empty() ? nullptr : registry.find(env.room_id);
    if (!room || room->info().game != "skribble") {
      c.send(msg({{"type", "join_room_response"},
                  {"status", false},
                  {"message", "Room not found"},
                  {"roomId", env.room_id}}));
      return;
    }
    if (env.type == "JOIN_SKRIBBLE_ROOM" && refuse_new_member(c, env.room_id)) return;
    games::Event e;
    e.kind = games::Event::Kind::message;
    e.user = c.user;
    e.type = env.type;
    e.raw = raw;  // drawing messages are relayed byte for byte
    room->post(std::move(e), std::move(env.body));
  }

  void post_to_rooms(const std::string& user, const std::vector<std::string>& rooms,
                     games::Event::Kind kind) {
    for (const auto& id : rooms) {
      if (auto room = registry.find(id)) {
        games::Event e;
        e.kind = kind;
        e.user = user;
        room->post(std::move(e));
      }
    }
  }

  void sweep(Millis now) {
    if (options.limits.memory_high_watermark_bytes > 0)
      over_watermark = process_rss_bytes() > options.limits.memory_high_watermark_bytes;
    std::map<std::pair<std::string, std::string>, int> by_phase;
    double players = 0;
    for (auto& room : registry.all()) {
      auto info = room->info();
      if (info.removed) continue;
      by_phase[{info.game, info.summary.phase}]++;
      players += info.summary.players;
      if (now - info.last_activity > options.room_idle_timeout_ms)
        room->close("idle");
      else if (info.finished_at != 0 && !info.summary.running &&
               now - info.finished_at > options.room_finished_ttl_ms)
        room->close("finished");
    }
    for (auto& key : seen_phases) metrics.rooms.with({key.first, key.second}).set(0);
    for (auto& [key, n] : by_phase) {
      seen_phases.insert(key);
      metrics.rooms.with({key.first, key.second}).set(n);
    }
    metrics.players.set(players);
  }

  std::size_t restore(store::StateStore& store) {
    Millis now = wall_now_ms();
    std::size_t restored = 0;
    for (auto& stored : store.load_rooms()) {
      try {
        // Lenient: a snapshot written before the UTF-8 rules may hold a name cut mid-letter.
        auto snapshot = protocol::parse_stored_json(stored.snapshot).as_object();
        std::unique_ptr<games::Game> game;
        std::string key;
        if (stored.game == "spy") {
          auto state = games::spy::state_from_json(snapshot);
          key = "spy/" + state.rules.mode;
          game = std::make_unique<games::spy::SpyGame>(std::move(state), spy_pairs);
        } else if (stored.game == "skribble") {
          key = "skribble";
          game = std::make_unique<games::skribble::SkribbleGame>(
              games::skribble::state_from_json(snapshot), skribble_words);
        } else {
          throw std::runtime_error("unknown game \"" + stored.game + "\"");
        }
        auto status =
            game->summary().running ? games::UserStatus::in_game : games::UserStatus::in_room;
        auto members = game->members();
        auto room = std::make_shared<Room>(ioc, stored.id, key, std::move(game), deps, now);
        if (!registry.insert(stored.id, room)) continue;
        for (const auto& m : members) directory.restore_offline(m, stored.id, status, now);
        games::Event e;
        e.kind = games::Event::Kind::restored;
        room->post(std::move(e));
        room->start();
        ++restored;
      } catch (const std::exception& e) {
        // Never dropped: the stored row stays as it is for an operator to inspect (the admin
        // stats list it), and its id stays taken so that no new room overwrites it.
        metrics.store_failures.with({"restore"}).inc();
        log::error("room_restore_failed",
                   {{"room", stored.id}, {"game", stored.game}, {"error", e.what()}});
        std::lock_guard lock(quarantine_mutex);
        quarantine[stored.id] = e.what();
        metrics.rooms_quarantined.set(static_cast<double>(quarantine.size()));
      }
    }
    return restored;
  }

  boost::asio::io_context& ioc;
  const config::ServeOptions& options;
  UserDirectory& directory;
  metrics::ServerMetrics& metrics;
  RoomRegistry registry;
  RoomDeps deps;
  std::vector<games::spy::WordPair> spy_pairs;
  games::skribble::WordLists skribble_words;
  std::atomic<bool> over_watermark{false};
  std::atomic<bool> draining{false};
  std::set<std::pair<std::string, std::string>> seen_phases;
  mutable std::mutex quarantine_mutex;
  std::map<std::string, std::string> quarantine;  // room id -> why it could not be restored
  std::mutex id_random_mutex;
  std::mt19937_64 id_random{std::random_device{}()};  // room ids and game seeds
};

}  // namespace roomctl::runtime
