// Games across the nodes of a cluster (real Redis, real nodes): players of one room connected
// to different nodes play together; room ids are unique cluster-wide; quick join reserves seats.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/cluster_nodes.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

TEST_CASE("cluster: a skribble room whose players sit on three nodes relays across them",
          "[cluster]") {
  ClusterNodes c(3, {"games.time_scale=0.05"});
  auto ports = c.ports();
  std::vector<std::unique_ptr<Player>> ps;
  for (int i = 0; i < 3; ++i)
    ps.push_back(std::make_unique<Player>(ports[i], "x-p" + std::to_string(i)));
  ps[0]->skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", "x1"}, {"PlayerName", "P0"}});
  REQUIRE(ps[0]->next("create_room_response")->at("status") == true);
  for (int i = 1; i < 3; ++i) {
    ps[i]->skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", "x1"}, {"name", "P" + std::to_string(i)}});
    auto r = ps[i]->next("join_room_response");
    REQUIRE(r);
    CHECK(r->at("status") == true);
  }
  ps[0]->skribble("SKRIBBLE_GAME_SETTINGS", {{"roomId", "x1"}, {"settings", {{"rounds", 1}}}});
  CHECK(ps[1]->next("SKRIBBLE_GAME_SETTINGS"));
  CHECK(ps[2]->next("SKRIBBLE_GAME_SETTINGS"));
  CHECK(c.sum("roomctl_cluster_forwarded_inputs_total") >= 2);
}
