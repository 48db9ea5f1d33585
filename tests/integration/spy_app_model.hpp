// A model of the public spy app's message handlers, for replaying its flows against roomctl: it
// reads every frame a connection receives, as the app would (by type, ignoring types it has no
// handler for), checks the field names, value types and order the app relies on, and keeps the
// state the app renders (seats, readiness, alive players, word, chat, result). Its errors are what
// would break or crash the app. The same model checks a client of the EventFrom dialect, where
// joins answer join_room_response and playerList carries {userId,name} objects on request only.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/protocol/dialect.hpp"
#include "tests/integration/test_support.hpp"

namespace roomctl::test {

class SpyAppModel {
 public:
  SpyAppModel(protocol::Dialect dialect, std::string user)
      : dialect_(dialect), user_(std::move(user)) {}

  // One frame, as the app's onmessage hands it to the handler of its type.
  void read(const boost::json::object& frame);
  // A member of the room asked for the player list (GET_JOIN_EVENTS, EventFrom dialect): the
  // members of one room share the count, each may get one playerList per request.
  void allow_player_list() { ++*asks; }
  std::shared_ptr<int> asks = std::make_shared<int>(0);
  // Whether `first` was handled before `then` (both at least once, the last `then` after a
  // `first`).
  bool before(const std::string& first, const std::string& then) const;

  std::vector<std::string> errors;   // empty: the app would work
  std::vector<std::string> handled;  // types the app handled, in order
  std::vector<std::string> alerts;   // what the home screen alerted
  bool in_room = false;              // on the room screen
  std::string quick_join_room;
  std::vector<std::string> player_list, alive;
  std::map<std::string, bool> ready;
  bool game_started = false;
  std::string word;  // spy or civilian word of the running game
  bool is_spy = false;
  int round = 0;
  std::string speaker;
  std::map<std::string, std::vector<std::string>> voting_results;
  std::vector<std::string> chats;
  std::string winner, spy;
  int games_ended = 0;

 private:
  void fail(const std::string& what, const boost::json::object& frame);
  bool need_string(const boost::json::object& f, const char* key);
  bool need_strings(const boost::json::object& f, const boost::json::value& v, const char* what,
                    std::vector<std::string>& out);
  void player_list_frame(const boost::json::object& f);
  void room_state(const boost::json::object& f);
  void end_voting(const boost::json::object& f);
  void game_ended(const boost::json::object& f);

  protocol::Dialect dialect_;
  std::string user_;
  int player_lists_ = 0;
  bool voting_ = false;
  bool voting_ended_ = false;
  int last_countdown_ = 4;
};

// One app session: a socket that sends frames as the app does (only type, roomId, userId and
// the few fields of chat and vote; EventFrom only in the EventFrom dialect) and a model reading
// everything it receives. `user` is the userId the app's HTTP service handed out; switch it for
// the next room with `user = ...` on the same socket, as the app does.
class AppSession {
 public:
  AppSession(std::uint16_t port, protocol::Dialect dialect, std::string user)
      : user(user), inbox(port, user), model(dialect, std::move(user)), dialect_(dialect) {}

  void send(const std::string& type, boost::json::object fields = {});
  // The home screen: create (then the room screen mounts) or join (and mount on success).
  void create(const std::string& room);
  bool join(const std::string& room);  // false: refused (full, unknown)
  void mount_room(const std::string& room);
  // The app's Ready button: its handler sends the old state's opposite, its effect the new one.
  void tap_ready(const std::string& room);
  void chat(const std::string& room, const std::string& text);
  void vote(const std::string& room, const std::string& target);
  void leave(const std::string& room) { send("leave_room", {{"roomId", room}}); }
  // Waits for the next frame of `type` (feeding the model everything up to it).
  std::optional<boost::json::object> next(
      const std::string& type, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Feeds the model every frame received so far (waiting `settle` for more first).
  void sync(std::chrono::milliseconds settle = std::chrono::milliseconds(100));
  bool legacy() const { return dialect_ == protocol::Dialect::legacy_app; }

  std::string user;
  Player inbox;  // the socket and every frame it received
  SpyAppModel model;

 private:
  void feed();
  protocol::Dialect dialect_;
  std::size_t fed_ = 0;
};

}  // namespace roomctl::test
