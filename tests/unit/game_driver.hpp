// Drives a pure Game with a fake clock: resolves broadcasts to per-user inboxes and fires the
// armed timer when the clock passes its deadline, exactly as the room actor would.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "server/games/game.hpp"
#include "server/protocol/utf8.hpp"

namespace roomctl::test {

class GameDriver {
 public:
  explicit GameDriver(games::Game& g, Millis start = 1'000'000) : game(g), now(start) {}

  games::Effects send(const std::string& user, const std::string& type,
                      boost::json::object body = {}) {
    body["type"] = type;
    games::Event e;
    e.kind = games::Event::Kind::message;
    e.user = user;
    e.type = type;
    e.body = body;
    e.raw = make_frame(boost::json::serialize(body));
    return apply(e);
  }
  games::Effects event(games::Event::Kind kind, const std::string& user) {
    games::Event e;
    e.kind = kind;
    e.user = user;
    return apply(e);
  }
  // Advances the clock, firing every timer that falls due on the way.
  void advance(Millis ms) {
    Millis until = now + ms;
    while (auto t = game.timer()) {
      if (t->first > until) break;
      now = std::max(now, t->first);
      games::Event e;
      e.kind = games::Event::Kind::timer;
      e.timer_gen = t->second;
      apply(e);
    }
    now = until;
  }
  // Messages of a type received by a user, oldest first, as JSON objects.
  std::vector<boost::json::object> got(const std::string& user, const std::string& type) const {
    return of_type(inbox, user, type);
  }
  // The same, as a member speaking the legacy app dialect receives them.
  std::vector<boost::json::object> got_legacy(const std::string& user,
                                              const std::string& type) const {
    return of_type(legacy_inbox, user, type);
  }
  static std::vector<boost::json::object> of_type(
      const std::map<std::string, std::vector<std::string>>& box, const std::string& user,
      const std::string& type) {
    std::vector<boost::json::object> out;
    auto it = box.find(user);
    if (it == box.end()) return out;
    for (const auto& m : it->second) {
      auto o = boost::json::parse(m).as_object();
      if (o.at("type").as_string() == type) out.push_back(o);
    }
    return out;
  }
  bool any(const std::string& user, const std::string& type) const {
    return !got(user, type).empty();
  }
  void clear() {
    inbox.clear();
    legacy_inbox.clear();
  }
  // Every frame the game has emitted so far is valid UTF-8 (a browser closes on one that is not).
  bool frames_valid_utf8() const { return bad_utf8_frames.empty(); }

  games::Game& game;
  Millis now;
  std::map<std::string, std::vector<std::string>> inbox;         // as EventFrom clients read it
  std::map<std::string, std::vector<std::string>> legacy_inbox;  // as the legacy app reads it
  std::vector<games::Effects> history;
  std::vector<std::string> bad_utf8_frames;  // outbound frames that are not valid UTF-8

 private:
  void deliver(const games::Outbound& o, const Frame& frame,
               const std::vector<std::string>& members,
               std::map<std::string, std::vector<std::string>>& to) {
    if (!frame) return;  // nothing for this dialect
    if (!protocol::valid_utf8(*frame)) bad_utf8_frames.push_back(*frame);
    if (o.to == games::Outbound::To::one)
      to[o.user].push_back(*frame);
    else
      for (const auto& m : members)
        if (o.to == games::Outbound::To::all || m != o.user) to[m].push_back(*frame);
  }

  games::Effects apply(const games::Event& e) {
    games::Effects fx;
    game.step(e, now, fx);
    const auto& members = game.members();  // broadcasts reach the members after the step
    for (const auto& o : fx.out) {
      deliver(o, o.frame, members, inbox);
      deliver(o, o.legacy_frame, members, legacy_inbox);
    }
    history.push_back(fx);
    return fx;
  }
};

inline std::string s(const boost::json::value& v) {
  return std::string(v.as_string());
}

}  // namespace roomctl::test
