// The cluster's shared features with real Redis and real nodes: a skribble room relayed across
// nodes, room ids unique cluster-wide, the quick-join race for the last seat, presence, direct
// messages (online and queued), friend requests and invites between users on different nodes,
// a userId taking over across nodes, and a bus outage resynchronised with a fresh state.
// (The whole games across nodes are in spy_test.cpp and skribble_test.cpp, tagged [cluster].)
#include <csignal>

#include <catch2/catch.hpp>
#include <future>
#include <set>
#include <thread>

#include "tests/integration/cluster_nodes.hpp"

using namespace roomctl::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
std::vector<std::string> user_ids(const std::string& users_online) {
  std::vector<std::string> ids;
  auto o = J(users_online);
  for (const auto& u : o.at("users").as_array())
    ids.emplace_back(u.as_object().at("userId").as_string());
  std::sort(ids.begin(), ids.end());
  return ids;
}
}  // namespace

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
  CHECK(c[1].metric("roomctl_cluster_forwarded_inputs_total") >= 1);
  CHECK(c[0].metric("roomctl_cluster_remote_inputs_total") >= 2);
  // The room runs on its creator's node only.
  CHECK(eventually(
      [&] { return c[0].metric(R"(roomctl_rooms{game="skribble",phase="lobby"})") == 1; }));
  CHECK(c[1].metric(R"(roomctl_rooms{game="skribble",phase="lobby"})") <= 0);
  // An unknown room is refused from any node.
  Player stray(ports[2], "stray");
  stray.skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", "nope"}, {"name", "S"}});
  auto refused = stray.next("join_room_response");
  REQUIRE(refused);
  CHECK(refused->at("status") == false);
}

TEST_CASE("cluster: one room id created on two nodes at once: exactly one wins", "[cluster]") {
  ClusterNodes c(2);
  for (int round = 0; round < 5; ++round) {
    std::string room = "dup" + std::to_string(round);
    Player a(c[0].port(), "a" + std::to_string(round));
    Player b(c[1].port(), "b" + std::to_string(round));
    a.spy("CREATE_ROOM", {{"roomId", room}, {"name", "A"}});
    b.spy("CREATE_ROOM", {{"roomId", room}, {"name", "B"}});
    auto ra = a.next("create_room_response");
    auto rb = b.next("create_room_response");
    REQUIRE(ra);
    REQUIRE(rb);
    CHECK((ra->at("status") == true) + (rb->at("status") == true) == 1);
    auto& loser = ra->at("status") == true ? *rb : *ra;
    CHECK(str(loser, "message") == "A room with this id already exists");
  }
}

TEST_CASE("cluster: quick join races for the last seat across nodes: exactly one wins",
          "[cluster]") {
  ClusterNodes c(3, {"limits.max_players_per_room=3"});
  Player host(c[0].port(), "host");
  host.spy("CREATE_ROOM", {{"roomId", "last"}, {"name", "H"}, {"gameMode", "word_spy"}});
  REQUIRE(host.next("create_room_response")->at("status") == true);
  Player second(c[1].port(), "second");
  second.spy("join_room", {{"roomId", "last"}, {"name", "S"}});
  REQUIRE(second.next("join_room_response")->at("status") == true);
  // One seat left. Six players on three nodes ask for it at once.
  std::vector<std::unique_ptr<Player>> seekers;
  for (int i = 0; i < 6; ++i)
    seekers.push_back(std::make_unique<Player>(c[i % 3].port(), "seeker" + std::to_string(i)));
  for (auto& s : seekers) s->spy("QUICK_JOIN_WORD_SPY");
  int won = 0;
  for (auto& s : seekers) {
    auto r = s->next("quick_join_response");
    REQUIRE(r);
    if (r->at("status") == true) {
      ++won;
      CHECK(str(*r, "roomId") == "last");
      s->spy("join_room", {{"roomId", "last"}, {"name", "W"}});
      CHECK(s->next("join_room_response")->at("status") == true);
    }
  }
  CHECK(won == 1);
}

TEST_CASE("cluster: presence shows users of every node, and goes offline across nodes",
          "[cluster][presence]") {
  ClusterNodes c(2, {"presence.flush_interval=20ms"});
  auto alice = connect_client(c[0].port());
  alice->send(R"({"EventFrom":"App","type":"app_opened","userId":"alice"})");
  REQUIRE(alice->recv_until(of_type("users_online")));
  auto bob = connect_client(c[1].port());
  bob->send(R"({"EventFrom":"App","type":"app_opened","userId":"bob"})");
  // Bob's list holds Alice (on the other node), and Alice hears of Bob.
  auto bobs = bob->recv_until([](const std::string& m) {
    return m.find("users_online") != std::string::npos && m.find("alice") != std::string::npos;
  });
  REQUIRE(bobs);
  CHECK(user_ids(*bobs) == std::vector<std::string>{"alice", "bob"});
  auto announced = alice->recv_until([](const std::string& m) {
    return m.find("users_online") != std::string::npos && m.find("bob") != std::string::npos;
  });
  REQUIRE(announced);
  // A status change in a room on node 1 reaches Alice on node 0.
  bob->send(
      R"({"EventFrom":"SpyGame","type":"CREATE_ROOM","userId":"bob","roomId":"pr1","name":"B"})");
  auto status = alice->recv_until([](const std::string& m) {
    return m.find("bob") != std::string::npos && m.find("InRoom") != std::string::npos;
  });
  CHECK(status);
  bob->close();
  auto offline = alice->recv_until(of_type("user_offline"));
  REQUIRE(offline);
  CHECK(str(J(*offline), "userId") == "bob");
}

TEST_CASE("cluster: direct messages, friend requests and invites reach users on other nodes",
          "[cluster][dm][friends]") {
  ClusterNodes c(3);
  auto alice = connect_user(c[0].port(), "alice");
  auto bob = connect_user(c[1].port(), "bob");
  REQUIRE(eventually([&] { return c[0].metric("roomctl_cluster_remote_members") >= 1; }));

  std::string msg = dm_text("alice", "bob", "hi bob");
  alice->send(msg);
  auto got =
      bob->recv_until([](const std::string& m) { return m.find("hi bob") != std::string::npos; });
  REQUIRE(got);
  CHECK(*got == msg);  // verbatim, as on one node

  alice->send(
      R"({"EventFrom":"Friend","type":"request","senderUserId":"alice","receiverUserId":"bob","senderName":"Alice"})");
  auto req = bob->recv_until(of_type("friend_request"));
  REQUIRE(req);
  CHECK(str(J(*req), "senderUserId") == "alice");
  bob->send(
      R"({"EventFrom":"Friend","type":"accept","reciverUserId":"bob","senderUserId":"alice"})");
  CHECK(alice->recv_until(of_type("friend_accept")));

  std::string invite =
      R"({"EventFrom":"SpyGame","type":"invite_friend","userId":"alice","FriendUserId":"bob","roomId":"r1"})";
  alice->send(invite);
  auto inv = bob->recv_until(of_type("invite_friend"));
  REQUIRE(inv);
  CHECK(*inv == invite);

  // Carol is offline: the messages are queued in Redis and delivered when she opens the app on
  // a third node.
  for (int i = 1; i <= 3; ++i) alice->send(dm_text("alice", "carol", "m" + std::to_string(i)));
  REQUIRE(eventually([&] { return c[0].metric("roomctl_dm_queued_total") == 3; }));
  auto carol = connect_client(c[2].port());
  carol->send(R"({"EventFrom":"App","type":"app_opened","userId":"carol"})");
  for (int i = 1; i <= 3; ++i) {
    auto m = carol->recv_until(of_type("queued_message"));
    REQUIRE(m);
    CHECK(str(J(*m), "text") == "m" + std::to_string(i));
  }
}

TEST_CASE("cluster: the same userId connecting to another node takes the user over", "[cluster]") {
  ClusterNodes c(2);
  auto first = connect_user(c[0].port(), "dana");
  REQUIRE(eventually([&] { return c[1].metric("roomctl_cluster_remote_members") >= 1; }));
  auto second = connect_user(c[1].port(), "dana");
  auto code = first->wait_closed(5s);
  REQUIRE(code);
  CHECK(*code == 4001);
  CHECK(second->is_open());
  // Messages for dana reach the new connection.
  auto eve = connect_user(c[0].port(), "eve");
  eve->send(dm_text("eve", "dana", "still there?"));
  CHECK(second->recv_until(
      [](const std::string& m) { return m.find("still there?") != std::string::npos; }));
}

TEST_CASE("cluster: frames lost on the bus are noticed and the member gets a fresh state",
          "[cluster][skribble]") {
  ClusterNodes c(2, {"games.time_scale=0.2", "limits.messages_per_second=1000",
                     "limits.message_burst=1000", "games.skribble.draw_burst=1000"});
  Player drawer(c[0].port(), "g-p0");
  Player watcher(c[1].port(), "g-p1");
  drawer.skribble("CREATE_SKRIBBLE_ROOM", {{"roomId", "g1"}, {"PlayerName", "D"}});
  REQUIRE(drawer.next("create_room_response")->at("status") == true);
  watcher.skribble("JOIN_SKRIBBLE_ROOM", {{"roomId", "g1"}, {"name", "W"}});
  REQUIRE(watcher.next("join_room_response")->at("status") == true);
  drawer.skribble("START_SKRIBBLE_GAME", {{"roomId", "g1"}});
  REQUIRE(watcher.next("SECOND_TIMER"));
  watcher.skip_all("ROOM_STATE");
  // The watcher's node loses its bus subscription while the drawer keeps drawing: the frames
  // published meanwhile are gone.
  std::atomic<bool> drawing{true};
  std::thread strokes([&] {
    for (int i = 0; drawing && i < 400; ++i) {
      drawer.skribble("SKRIBBLE_DRAW", {{"roomId", "g1"}, {"x", i}});
      std::this_thread::sleep_for(5ms);
    }
  });
  std::this_thread::sleep_for(200ms);
  c.redis().cli("CLIENT KILL TYPE pubsub");
  std::this_thread::sleep_for(600ms);
  drawing = false;
  strokes.join();
  auto fresh = watcher.next("ROOM_STATE", 10s);
  REQUIRE(fresh);
  // The sequence numbers told the watcher's node that frames were missing.
  CHECK(c[1].metric("roomctl_cluster_bus_gaps_total") > 0);
  // The game goes on: a later stroke still arrives.
  drawer.skribble("SKRIBBLE_DRAW", {{"roomId", "g1"}, {"x", 9999}});
  CHECK(watcher.ws->recv_until(
      [](const std::string& m) { return m.find("9999") != std::string::npos; }, 5s));
}

TEST_CASE("cluster: an owner paused past its lease loses its room to a live node and stops it",
          "[cluster][failover]") {
  ClusterNodes c(3);
  Player host(c[0].port(), "st-host");
  Player p1(c[1].port(), "st-p1");
  Player p2(c[2].port(), "st-p2");
  host.spy("CREATE_ROOM", {{"roomId", "st1"}, {"name", "H"}, {"gameMode", "word_spy"}});
  REQUIRE(host.next("create_room_response")->at("status") == true);
  p1.spy("join_room", {{"roomId", "st1"}, {"name", "A"}});
  REQUIRE(p1.next("join_room_response")->at("status") == true);
  p2.spy("join_room", {{"roomId", "st1"}, {"name", "B"}});
  REQUIRE(p2.next("join_room_response")->at("status") == true);
  // The snapshot with all three seats is written (write-behind), then the owner freezes.
  std::this_thread::sleep_for(500ms);
  p1.skip_all("game_mode");
  p2.skip_all("game_mode");
  c[0].signal(SIGSTOP);
  // Its lease expires, a live node claims the room (fenced: epoch + 1) and restores it; the
  // members still online get their seats back with a fresh state.
  REQUIRE(eventually(
      [&] {
        return c[1].metric("roomctl_cluster_rooms_taken_over_total") +
                   c[2].metric("roomctl_cluster_rooms_taken_over_total") ==
               1;
      },
      15s));
  CHECK(p1.next("game_mode", 10s));
  CHECK(p2.next("game_mode", 10s));
  // The game goes on at the new owner: a player's ready reaches the others.
  p1.spy("ready", {{"roomId", "st1"}});
  CHECK(p2.next("player_ready", 10s));
  // The old owner wakes up: its writes and its re-asserted claim are refused, it stops its copy
  // of the room, and its local player is told to reconnect.
  c[0].signal(SIGCONT);
  auto code = host.ws->wait_closed(15s);
  REQUIRE(code);
  CHECK(*code == 4004);
  CHECK(eventually([&] { return c[0].metric("roomctl_cluster_writes_refused_total") >= 1; }));
  CHECK(eventually(
      [&] { return c[0].metric(R"(roomctl_rooms_removed_total{reason="moved"})") == 1; }));
  // The host reconnects through any node and takes its seat back in the one running copy.
  Player back(c[2].port(), "st-host");
  back.spy("join_room", {{"roomId", "st1"}, {"name", "H"}});
  CHECK(back.next("game_mode", 10s));
}

TEST_CASE(
    "cluster: Redis restarted empty mid-game: rooms run on, readyz goes 503 and back, "
    "claims are re-asserted with their epoch and snapshots rewritten",
    "[cluster][redis]") {
  ClusterNodes c(2);
  Player host(c[0].port(), "rr-host");
  Player guest(c[1].port(), "rr-guest");
  host.spy("CREATE_ROOM", {{"roomId", "rr1"}, {"name", "H"}, {"gameMode", "word_spy"}});
  REQUIRE(host.next("create_room_response")->at("status") == true);
  guest.spy("join_room", {{"roomId", "rr1"}, {"name", "G"}});
  REQUIRE(guest.next("join_room_response")->at("status") == true);
  REQUIRE(eventually([&] { return c.redis().cli("EXISTS roomctl:room:rr1").find('1') == 0; }));
  std::string epoch = c.redis().cli("HGET roomctl:owner:rr1 epoch");

  c.redis().stop();
  for (std::size_t i = 0; i < 2; ++i)
    CHECK(eventually([&] { return http_get(c[i].admin_port(), "/readyz").status == 503; }, 10s));
  // The owner's own player plays on from memory meanwhile.
  host.spy("ready", {{"roomId", "rr1"}});
  CHECK(host.next("player_ready", 5s));

  c.redis().start();  // empty: no lease, no owner record, no snapshot
  for (std::size_t i = 0; i < 2; ++i)
    CHECK(eventually([&] { return http_get(c[i].admin_port(), "/readyz").status == 200; }, 15s));
  CHECK(eventually([&] { return c.redis().cli("HGET roomctl:owner:rr1 node").find("n1") == 0; },
                   10s));
  CHECK(c.redis().cli("HGET roomctl:owner:rr1 epoch") == epoch);
  CHECK(eventually([&] { return c.redis().cli("EXISTS roomctl:room:rr1").find('1') == 0; }, 10s));
  CHECK(c[0].metric("roomctl_cluster_writes_refused_total") == 0);
  // And across nodes again: the guest's ready reaches the host.
  guest.spy("ready", {{"roomId", "rr1"}});
  auto ready = host.next("player_ready", 10s);
  REQUIRE(ready);
  CHECK(str(*ready, "playerId") == "rr-guest");
}

TEST_CASE("cluster: a node that joins takes new rooms, drained, its rooms go on elsewhere",
          "[cluster][scale]") {
  // Small room limits make the load ratio (rooms / limits.max_rooms) tell the nodes apart.
  ClusterNodes c(3, {"limits.max_rooms=20"});
  std::vector<std::unique_ptr<Player>> hosts;
  auto create = [&](const std::string& room) {
    hosts.push_back(std::make_unique<Player>(c[0].port(), room + "-host"));
    hosts.back()->spy("CREATE_ROOM", {{"roomId", room}, {"name", "H"}, {"gameMode", "word_spy"}});
    auto r = hosts.back()->next("create_room_response");
    REQUIRE(r);
    REQUIRE(r->at("status") == true);
  };
  auto owner = [&](const std::string& room) {
    auto o = c.redis().cli("HGET roomctl:owner:" + room + " node");
    return o.substr(0, o.find('\n'));
  };
  // Created through node 0, the rooms spread over the three nodes as their loads part.
  for (int i = 0; i < 12; ++i) {
    create("old" + std::to_string(i));
    std::this_thread::sleep_for(150ms);  // leases carry the new loads
  }
  std::set<std::string> owners;
  for (int i = 0; i < 12; ++i) owners.insert(owner("old" + std::to_string(i)));
  CHECK(owners.size() == 3);

  // Scale-out: a fourth node, empty, gets the next rooms.
  auto& fresh = c.add_node();
  std::this_thread::sleep_for(1500ms);  // its lease and load are seen by every node
  std::vector<std::string> placed;
  for (int i = 0; i < 4; ++i) {
    create("new" + std::to_string(i));
    if (owner("new" + std::to_string(i)) == "n4") placed.push_back("new" + std::to_string(i));
  }
  REQUIRE(!placed.empty());

  // Scale-in: drained, the node hands its rooms to the others and their games go on.
  REQUIRE(http_request(fresh.admin_port(), "POST", "/admin/drain",
                       {{"Content-Type", "application/json"}})
              .status == 200);
  CHECK(eventually([&] { return http_get(fresh.admin_port(), "/readyz").status == 503; }));
  for (const auto& room : placed) {
    CHECK(eventually([&] { return owner(room) != "n4" && !owner(room).empty(); }, 10s));
    auto& host = *hosts[static_cast<std::size_t>(12 + std::stoi(room.substr(3)))];
    host.spy("ready", {{"roomId", room}});
    CHECK(host.next("player_ready", 10s));
  }
  CHECK(fresh.metric("roomctl_cluster_rooms_handed_over_total") ==
        static_cast<double>(placed.size()));
}

TEST_CASE("cluster: a second process with a live node's id is refused, a restarted one waits",
          "[cluster]") {
  ClusterNodes c(1);
  std::vector<std::string> same{"cluster.enabled=true", "cluster.lease_ttl=1500ms",
                                "server.node_id=" + c.node_id(0), "store.url=" + c.redis().url()};
  // The first process lives: after waiting out one lease time the second gives up, saying why.
  CHECK_THROWS_WITH(ServerProcess(same), Catch::Contains("held by another live process"));
  // A crash: the next process with the id waits for the dead one's lease instead of failing.
  c.kill(0);
  ServerProcess again(same);
  CHECK(eventually([&] { return http_get(again.admin_port(), "/readyz").status == 200; }));
  CHECK(again.log().find("cluster_waiting_for_lease") != std::string::npos);
}

TEST_CASE(
    "cluster: a room handed to a node whose adopt message was lost is adopted on its first "
    "message",
    "[cluster][scale]") {
  ClusterNodes c(2);
  Player host(c[0].port(), "ua-host");
  host.spy("CREATE_ROOM", {{"roomId", "ua1"}, {"name", "H"}, {"gameMode", "word_spy"}});
  REQUIRE(host.next("create_room_response")->at("status") == true);
  Player guest(c[1].port(), "ua-guest");
  guest.spy("join_room", {{"roomId", "ua1"}, {"name", "G"}});
  REQUIRE(guest.next("join_room_response")->at("status") == true);
  REQUIRE(eventually([&] { return c.redis().cli("EXISTS roomctl:room:ua1").find('1') == 0; }));
  // The registry moves the room to node 2 as a hand-over would, but node 2 is never told (the
  // bus lost its `adopt`); node 1's next write is refused and it stops its copy.
  auto epoch = std::stoll(c.redis().cli("HGET roomctl:owner:ua1 epoch"));
  c.redis().cli("HSET roomctl:owner:ua1 node " + c.node_id(1) + " epoch " +
                std::to_string(epoch + 1));
  host.spy("ready", {{"roomId", "ua1"}});
  REQUIRE(eventually([&] { return c[0].metric("roomctl_cluster_writes_refused_total") >= 1; }));
  // The players come back (the host to node 2 now) and play on: node 2 adopts the room from its
  // snapshot on the first message that reaches it.
  Player back(c[1].port(), "ua-host");
  REQUIRE(eventually(
      [&] {
        back.spy("join_room", {{"roomId", "ua1"}, {"name", "H"}});
        auto r = back.next("join_room_response", 2s);
        return r && r->at("status") == true;
      },
      10s));
  CHECK(c[1].log().find("cluster_room_unannounced") != std::string::npos);
  // The guest was closed with 4004 by the stopped copy too; it rejoins and its ready arrives.
  Player guest_back(c[0].port(), "ua-guest");
  guest_back.spy("join_room", {{"roomId", "ua1"}, {"name", "G"}});
  auto rejoined = guest_back.next("join_room_response");
  REQUIRE(rejoined);
  CHECK(rejoined->at("status") == true);
  guest_back.spy("ready", {{"roomId", "ua1"}});
  auto ready = back.next("player_ready", 10s);
  REQUIRE(ready);
  CHECK(str(*ready, "playerId") == "ua-guest");
}
