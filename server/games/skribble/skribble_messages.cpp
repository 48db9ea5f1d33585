// Skribble settings validation.
#include "server/games/skribble/skribble_messages.hpp"

#include <boost/json/serialize.hpp>
#include <sstream>

#include "server/games/skribble/guess_rules.hpp"
#include "server/protocol/utf8.hpp"

namespace roomctl::games::skribble {

namespace json = boost::json;

namespace {
constexpr std::size_t kMaxCustomWordLetters = 32;

bool int_in(const json::object& in, const char* key, int lo, int hi, int& out, std::string& err) {
  auto it = in.find(key);
  if (it == in.end()) return true;
  std::int64_t v;
  if (it->value().is_int64())
    v = it->value().get_int64();
  else if (it->value().is_string()) {
    try {
      v = std::stoll(std::string(it->value().get_string()));
    } catch (...) {
      err = std::string(key) + " must be a number";
      return false;
    }
  } else {
    err = std::string(key) + " must be a number";
    return false;
  }
  if (v < lo || v > hi) {
    err =
        std::string(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi);
    return false;
  }
  out = static_cast<int>(v);
  return true;
}
}  // namespace

std::string parse_settings(const json::object& in, Settings& out, int current_players, int cap) {
  std::string err;
  if (!int_in(in, "players", std::max(2, current_players), std::min(20, cap), out.players, err) ||
      !int_in(in, "drawtime", 15, 300, out.drawtime, err) ||
      !int_in(in, "rounds", 1, 20, out.rounds, err) ||
      !int_in(in, "wordChoices", 0, 5, out.word_choices, err) ||
      !int_in(in, "hints", 0, 5, out.hints, err))
    return err;
  if (auto it = in.find("difficulty"); it != in.end()) {
    if (!it->value().is_string()) return "difficulty must be easy, medium or hard";
    std::string d(it->value().get_string());
    if (d != "easy" && d != "medium" && d != "hard")
      return "difficulty must be easy, medium or hard";
    out.difficulty = d;
  }
  if (auto it = in.find("customWords"); it != in.end()) {
    std::vector<std::string> words;
    auto add = [&](std::string_view w) {
      std::string n = normalise(w);
      // At most 32 letters (code points), the unit every word rule counts in; input text is
      // valid UTF-8 already (the envelope parser rejects anything else).
      if (!n.empty() && protocol::code_points(n) <= kMaxCustomWordLetters) words.push_back(n);
    };
    if (it->value().is_string()) {  // skribbl.io: comma separated
      std::stringstream ss{std::string(it->value().get_string())};
      for (std::string w; std::getline(ss, w, ',');) add(w);
    } else if (it->value().is_array()) {
      for (const auto& v : it->value().get_array())
        if (v.is_string()) add(v.get_string());
    } else {
      return "customWords must be a comma-separated string or a list";
    }
    if (words.size() > 500) return "at most 500 custom words";
    out.custom_words = std::move(words);
  }
  if (auto it = in.find("customOnly"); it != in.end()) {
    if (!it->value().is_bool()) return "customOnly must be true or false";
    out.custom_only = it->value().get_bool();
  }
  if (out.custom_only && out.custom_words.size() < 3)
    return "customOnly needs at least 3 custom words";
  return "";
}

}  // namespace roomctl::games::skribble
