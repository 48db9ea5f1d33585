// A room is an actor: one thread (its shard's) runs all of its game steps, so the game state
// needs no lock.
// It reaches members only through the user directory (never sockets), applies the effects the
// pure game returns, and keeps one timer armed at the game's absolute deadline.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/games/game.hpp"

namespace boost::asio {
class io_context;
}
namespace roomctl::metrics {
struct ServerMetrics;
class Counter;
}  // namespace roomctl::metrics

namespace roomctl::runtime {

class UserDirectory;
class Presence;
class RoomRegistry;

struct RoomDeps {
  UserDirectory& directory;
  Presence& presence;
  metrics::ServerMetrics& metrics;
  RoomRegistry& registry;
  // Write-behind persistence: a changed room hands over its snapshot, with what changed in its
  // stroke stream since the last save, at most once per interval.
  Millis flush_interval_ms = 50;
  Millis stroke_flush_interval_ms = 1000;  // when only the drawing changed
  std::function<void(const std::string& room_id, std::string game, std::string snapshot,
                     StreamChanges strokes)>
      save;
  // Called on the room's thread whenever its summary changed (the cluster's joinable index).
  std::function<void(const std::string& room_id, const std::string& index_key,
                     const games::Summary& summary, const std::vector<std::string>& members)>
      on_summary;
  // Called once when the room is removed, with the reason.
  std::function<void(const std::string& room_id, const std::string& reason)> on_removed;
};

class Room : public std::enable_shared_from_this<Room> {
 public:
  struct Info {
    std::string game;
    games::Summary summary;
    Millis created_at = 0;
    Millis last_activity = 0;
    Millis finished_at = 0;  // when the last game ended and none restarted since; 0 = not finished
    bool removed = false;
  };

  // `ioc` must be run by exactly one thread (a shard): it serialises the room's steps.
  Room(boost::asio::io_context& ioc, std::string id, std::string index_key,
       std::unique_ptr<games::Game> game, RoomDeps& deps, Millis now);
  ~Room();

  const std::string& id() const { return id_; }
  // Room objects alive in this process (leak detection: roomctl_live_objects{kind="room"}).
  static std::int64_t live_count() { return live_rooms.load(std::memory_order_relaxed); }
  // Thread-safe: the event (which owns its message body) runs later on the room's thread.
  void post(games::Event event);
  // Thread-safe: tells the members (room_closed), lets them go and removes the room.
  void close(std::string reason);
  // Thread-safe: the room stops here because another node owns it now (cluster fencing): no
  // frame to the game's members, whose connections are closed with 4004 so that they reconnect
  // and reach the new owner.
  void abandon();
  // Thread-safe: the room moved to another node (a hand-over): it stops here silently.
  void retire();
  // Thread-safe, for a hand-over: the room stops taking events (its timer too) and writes its
  // snapshot, which is then its final state; `done` runs after (on the room's thread). thaw()
  // lets it run on here when the hand-over could not be made.
  void freeze(std::function<void()> done);
  void thaw();
  // Resumes the game's timer and publishes its summary (after a restore).
  void start();
  // Thread-safe: writes the snapshot now if it changed since the last write (shutdown), or in
  // any case with `force` (the store lost it: the whole stroke stream is written again too).
  void flush(std::function<void()> done, bool force = false);
  Info info() const;
  const std::string& index_key() const { return index_key_; }
  // Thread-safe: builds the operator's view on the room's thread and passes it to `done`
  // (on that thread). Members carry their last activity; secrets only with `reveal`.
  void inspect(bool reveal, std::function<void(boost::json::object)> done);

 private:
  void run(games::Event& event, bool activity);
  void apply(games::Effects& fx, Millis now);
  void deliver(const games::Outbound& out);
  void rearm();
  void on_timer(std::uint64_t gen, Millis deadline);
  void remove(const std::string& reason);
  void mark_dirty(Millis delay_ms);
  void save_now(bool whole_stream = false);
  void publish(const games::Summary& sum, bool finished, Millis now);

  static std::atomic<std::int64_t> live_rooms;
  struct Exec;
  std::unique_ptr<Exec> exec_;
  std::string id_;
  std::string index_key_;
  std::unique_ptr<games::Game> game_;
  RoomDeps& deps_;
  std::optional<std::pair<Millis, std::uint64_t>> armed_;
  bool removed_ = false;
  bool frozen_ = false;  // handed over: no event runs any more
  bool dirty_ = false;
  std::chrono::steady_clock::time_point flush_due_;
  std::unordered_map<std::string, Millis> member_activity_;  // room thread only
  std::uint64_t messages_in_ = 0;                            // room thread only
  std::uint64_t frames_out_ = 0;                             // room thread only
  Millis game_started_at_ = 0;                               // room thread only
  metrics::Counter* frames_metric_ = nullptr;                // frames queued, this game's label

  mutable std::mutex info_mutex_;
  Info info_;
};

}  // namespace roomctl::runtime
