// How `roomctl loadtest` spreads bots over several targets: with target_spread=bots the bots of
// one room go round robin over the targets (a cluster sees rooms whose players sit on different
// nodes), starting one target further for each room so that every target gets the same share;
// with rooms each room stays on one target; one target is the single-server run as before.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "loadgen/loadtest_options.hpp"

using roomctl::loadgen::target_index;

TEST_CASE("loadtest targets: a room's bots round robin over the targets", "[loadgen]") {
  for (std::size_t room = 0; room < 6; ++room) {
    std::set<std::size_t> used;
    for (std::size_t bot = 0; bot < 4; ++bot) {
      auto t = target_index("bots", 2, room, bot);
      CHECK(t < 2);
      CHECK(t != target_index("bots", 2, room, bot + 1));  // neighbours on different targets
      used.insert(t);
    }
    CHECK(used.size() == 2);
  }
  // Three targets, rooms of 4: every target gets the same share over three rooms.
  std::map<std::size_t, int> share;
  for (std::size_t room = 0; room < 3; ++room)
    for (std::size_t bot = 0; bot < 4; ++bot) ++share[target_index("bots", 3, room, bot)];
  CHECK(share == std::map<std::size_t, int>{{0, 4}, {1, 4}, {2, 4}});
}

TEST_CASE("loadtest targets: spread rooms keeps a room on one target; one target is one",
          "[loadgen]") {
  for (std::size_t room = 0; room < 4; ++room)
    for (std::size_t bot = 0; bot < 4; ++bot) {
      CHECK(target_index("rooms", 2, room, bot) == room % 2);
      CHECK(target_index("bots", 1, room, bot) == 0);
      CHECK(target_index("rooms", 1, room, bot) == 0);
    }
}
