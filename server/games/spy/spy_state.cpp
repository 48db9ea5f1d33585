// Snapshot (de)serialisation of the spy state.
#include "server/games/spy/spy_state.hpp"

#include <boost/json/value_to.hpp>
#include <stdexcept>

namespace roomctl::games::spy {

namespace json = boost::json;

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::lobby:
      return "lobby";
    case Phase::countdown:
      return "countdown";
    case Phase::round_intro:
      return "round_intro";
    case Phase::speaking:
      return "speaking";
    case Phase::voting:
      return "voting";
    case Phase::reveal:
      return "reveal";
  }
  return "lobby";
}

std::vector<std::string> phase_names() {
  std::vector<std::string> names;
  for (int p = 0; p <= static_cast<int>(Phase::reveal); ++p)
    names.push_back(phase_name(static_cast<Phase>(p)));
  return names;
}

namespace {
Phase phase_from(std::string_view s) {
  for (Phase p : {Phase::lobby, Phase::countdown, Phase::round_intro, Phase::speaking,
                  Phase::voting, Phase::reveal})
    if (s == phase_name(p)) return p;
  throw std::runtime_error("unknown spy phase");
}

json::array strings(const std::vector<std::string>& v) {
  return json::array(v.begin(), v.end());
}

std::vector<std::string> strings_from(const json::value& v) {
  return json::value_to<std::vector<std::string>>(v);
}
}  // namespace

json::object to_json(const State& s) {
  json::array players;
  for (const auto& p : s.players)
    players.push_back(json::object{{"id", p.id},
                                   {"name", p.name},
                                   {"ready", p.ready},
                                   {"connected", p.connected},
                                   {"spectator", p.spectator}});
  json::array votes;
  for (const auto& [target, voters] : s.votes)
    votes.push_back(json::object{{"target", target}, {"voters", strings(voters)}});
  json::array chats;
  for (const auto& [user, text] : s.chats)
    chats.push_back(json::array{json::value(user), json::value(text)});
  return {
      {"game", "spy"},
      {"roomId", s.room_id},
      {"rules",
       {{"mode", s.rules.mode},
        {"maxPlayers", s.rules.max_players},
        {"minPlayers", s.rules.min_players},
        {"maxRounds", s.rules.max_rounds},
        {"timeScale", s.rules.time_scale},
        {"maxChatLength", s.rules.max_chat_length},
        {"maxNameLength", s.rules.max_name_length}}},
      {"host", s.host},
      {"players", std::move(players)},
      {"phase", phase_name(s.phase)},
      {"gen", s.gen},
      {"deadline", s.deadline},
      {"countdown", s.countdown},
      {"alive", strings(s.alive)},
      {"spy", s.spy},
      {"spyWord", s.spy_word},
      {"civilianWord", s.civilian_word},
      {"roundNo", s.round_no},
      {"firstSpeaker", s.first_speaker},
      {"speakers", strings(s.speakers)},
      {"speakerPos", s.speaker_pos},
      {"votes", std::move(votes)},
      {"revealTarget", s.reveal_target},
      {"chats", std::move(chats)},
      {"rng", s.rng},
      {"gamesPlayed", s.games_played},
  };
}

namespace {
void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("inconsistent spy snapshot: ") + what);
}

// A stored snapshot is input like any other: positions the game indexes with must be in range.
void check_consistent(const State& s) {
  require(s.speaker_pos >= 0, "speakerPos");  // (above the end: the round's speeches are over)
  require(s.first_speaker >= 0, "firstSpeaker");
  require(s.countdown >= 0 && s.round_no >= 0, "counters");
  require(s.rules.max_players >= 1 && s.rules.min_players >= 1 && s.rules.time_scale > 0, "rules");
}
}  // namespace

State state_from_json(const json::object& o) {
  State s;
  s.room_id = json::value_to<std::string>(o.at("roomId"));
  const auto& r = o.at("rules").as_object();
  s.rules.mode = json::value_to<std::string>(r.at("mode"));
  s.rules.max_players = json::value_to<int>(r.at("maxPlayers"));
  s.rules.min_players = json::value_to<int>(r.at("minPlayers"));
  s.rules.max_rounds = json::value_to<int>(r.at("maxRounds"));
  s.rules.time_scale = json::value_to<double>(r.at("timeScale"));
  s.rules.max_chat_length = json::value_to<int>(r.at("maxChatLength"));
  s.rules.max_name_length = json::value_to<int>(r.at("maxNameLength"));
  s.host = json::value_to<std::string>(o.at("host"));
  for (const auto& pv : o.at("players").as_array()) {
    const auto& p = pv.as_object();
    s.players.push_back({json::value_to<std::string>(p.at("id")),
                         json::value_to<std::string>(p.at("name")), p.at("ready").as_bool(),
                         p.at("connected").as_bool(), p.at("spectator").as_bool()});
  }
  s.phase = phase_from(o.at("phase").as_string());
  s.gen = json::value_to<std::uint64_t>(o.at("gen"));
  s.deadline = json::value_to<Millis>(o.at("deadline"));
  s.countdown = json::value_to<int>(o.at("countdown"));
  s.alive = strings_from(o.at("alive"));
  s.spy = json::value_to<std::string>(o.at("spy"));
  s.spy_word = json::value_to<std::string>(o.at("spyWord"));
  s.civilian_word = json::value_to<std::string>(o.at("civilianWord"));
  s.round_no = json::value_to<int>(o.at("roundNo"));
  s.first_speaker = json::value_to<int>(o.at("firstSpeaker"));
  s.speakers = strings_from(o.at("speakers"));
  s.speaker_pos = json::value_to<int>(o.at("speakerPos"));
  for (const auto& vv : o.at("votes").as_array()) {
    const auto& v = vv.as_object();
    s.votes.emplace_back(json::value_to<std::string>(v.at("target")), strings_from(v.at("voters")));
  }
  s.reveal_target = json::value_to<std::string>(o.at("revealTarget"));
  for (const auto& cv : o.at("chats").as_array()) {
    const auto& c = cv.as_array();
    s.chats.emplace_back(json::value_to<std::string>(c.at(0)),
                         json::value_to<std::string>(c.at(1)));
  }
  s.rng = json::value_to<std::uint64_t>(o.at("rng"));
  s.games_played = json::value_to<int>(o.at("gamesPlayed"));
  check_consistent(s);
  return s;
}

}  // namespace roomctl::games::spy
