// The contract between a pure game state machine and the room actor that runs it.
// A game never reads a clock, never touches a socket and never sleeps: the actor feeds it events
// with the current time and carries out the effects it returns.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/protocol/dialect.hpp"
#include "server/protocol/frame.hpp"
#include "server/util/clock.hpp"
#include "server/util/stream_changes.hpp"

namespace roomctl::games {

enum class UserStatus { idle, in_room, in_game };
std::string_view status_name(UserStatus s);  // Idle, InRoom, InGame (ORIG's wire names)

struct Event {
  // restored: the room was just loaded after a restart; every member is disconnected at once
  // (no per-member game logic runs, unlike a string of `disconnected` events).
  enum class Kind { message, connected, disconnected, leave, timer, restored };
  Kind kind = Kind::message;
  std::string user;
  std::string type;             // message type
  boost::json::object body;     // message body (empty for non-message events)
  Frame raw;                    // the message as received (relays forward it)
  std::uint64_t timer_gen = 0;  // the gen the timer was armed with
};

// One message, as each dialect's clients read it (docs/protocol.md §dialects). Most messages are
// the same in both: both pointers then share one buffer. A null frame: that dialect gets nothing.
struct Outbound {
  enum class To { one, all, all_but };
  To to;
  std::string user;    // the one, or the excluded one
  Frame frame;         // for members speaking the EventFrom dialect
  Frame legacy_frame;  // for members speaking the legacy app dialect

  const Frame& for_dialect(protocol::Dialect d) const {
    return d == protocol::Dialect::legacy_app ? legacy_frame : frame;
  }
};

struct Effects {
  std::vector<Outbound> out;
  std::vector<std::pair<std::string, UserStatus>> statuses;  // presence changes
  std::vector<std::string> joined;    // new members (the actor records room membership)
  std::vector<std::string> left;      // members gone for good
  std::vector<std::string> kicked;    // connections the actor should close (vote kick)
  std::vector<std::string> refusals;  // limits that bit (metric roomctl_refusals_total{limit})
  bool changed = false;               // state changed: persist the snapshot (store.flush_interval)
  bool strokes_changed = false;       // only the drawing changed (store.stroke_flush_interval)
  bool game_started = false;
  std::string game_finished_outcome;  // non-empty when a game ended (metric label)

  void to_one(const std::string& user, const Frame& f) { to_one(user, f, f); }
  void to_all(const Frame& f) { to_all(f, f); }
  void to_all_but(const std::string& user, const Frame& f) {
    out.push_back({Outbound::To::all_but, user, f, f});
  }
  // A message whose dialects differ; either frame may be null.
  void to_one(const std::string& user, Frame event_from, Frame legacy) {
    out.push_back({Outbound::To::one, user, std::move(event_from), std::move(legacy)});
  }
  void to_all(Frame event_from, Frame legacy) {
    out.push_back({Outbound::To::all, {}, std::move(event_from), std::move(legacy)});
  }
};

// What the registry and the sweeper may know of a room without entering its executor.
struct Summary {
  std::string phase;
  int players = 0;        // seated members (spectators included)
  bool joinable = false;  // not started and not full: quick join candidate
  int open_seats = 0;     // seats a quick join may still take (0 unless joinable)
  bool running = false;
  bool empty = false;  // nobody left: remove the room
};

class Game {
 public:
  virtual ~Game() = default;
  virtual void step(const Event& event, Millis now, Effects& fx) = 0;
  // The next timer deadline and the gen to fire it with; nullopt when no timer is armed.
  virtual std::optional<std::pair<Millis, std::uint64_t>> timer() const = 0;
  virtual Summary summary() const = 0;
  virtual const std::vector<std::string>& members() const = 0;
  virtual bool is_member(const std::string& user) const = 0;
  // The state to store, except what the game keeps in its append-only stream (below).
  virtual boost::json::object snapshot() const = 0;
  // serialize(snapshot()); a game with bulky state overrides it with something cheaper.
  virtual std::string snapshot_text() const;
  // A game may keep bulky, append-mostly state (skribble's stroke log) beside its snapshot as a
  // stream of rows: what changed in it since the last call, written with the snapshot taken at
  // the same time; `all`: the whole stream, replacing what the store holds. The restore entry of
  // the game's catalogue gets the stored rows back. Default: no stream.
  virtual StreamChanges take_log_changes(bool all) { return {}; }
  // What an operator sees (roomctl inspect): phase, round, members, scores, settings, remaining
  // time. Secrets (words, the spy) only when `reveal` is true.
  virtual boost::json::object inspect(Millis now, bool reveal) const = 0;
  virtual std::string_view game_name() const = 0;
};

}  // namespace roomctl::games
