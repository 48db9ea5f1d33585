// This process as one node of a cluster (cluster.enabled): every node is a gateway for the
// players connected to it, and the owner of the rooms created on it.
//
//  - Rooms: a new room's id is claimed in the Redis registry (one winner cluster-wide); a game
//    message for a room another node owns is forwarded to that owner (its owner looked up once
//    and cached); the owner seats the sender as a remote member, an Outbox whose frames go back
//    over the bus. Rooms reach members only through the user directory, so a room does not know
//    which members are remote.
//  - Bus: everything for one node collected for cluster.bus_delay goes out as one bus message
//    (one PUBLISH); room frames carry a sequence per (room, node), and a gateway that sees a gap
//    asks the owner to resynchronise its members (each gets the state a reconnect gets).
//  - Roster: each node tells every other node who connects, changes status and leaves, so every
//    directory knows every online user and the node holding it: presence, direct messages,
//    friend requests and invites reach users anywhere; a user connecting to a second node takes
//    over (the older connection closes with 4001, cluster-wide).
//  - Liveness: the node's lease (LeaseKeeper); a node whose lease is gone loses its users here.
//
// Threads: Redis calls run on the job thread (claims, lookups, seat reservations), the bus
// thread (publishing, the node list) and the subscriber's thread (receiving); shards only queue.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "server/runtime/cluster_rooms.hpp"
#include "server/runtime/job_thread.hpp"
#include "server/runtime/presence.hpp"
#include "server/store/redis_connection.hpp"
#include "server/store/state_store.hpp"

namespace roomctl::cluster {
class BusBatcher;
class BusPublisher;
class BusSubscriber;
class GapDetector;
class JoinableIndex;
class LeaseKeeper;
class NodeLease;
class RoomRegistry;
struct ControlMessage;
struct MemberInput;
struct OutgoingBusMessage;
struct RoomFrame;
}  // namespace roomctl::cluster
namespace roomctl::metrics {
class Registry;
struct ClusterMetrics;
}  // namespace roomctl::metrics

namespace roomctl::runtime {

class RoomService;
class UserDirectory;

struct ClusterOptions {
  std::string node_id;
  std::string ws_address, admin_address;  // shown in the node's lease
  store::RedisEndpoint redis;
  Millis lease_ttl_ms = 2500;
  Millis bus_delay_ms = 1;
  std::size_t max_id_length = 128;  // re-reading forwarded messages
  std::size_t max_message_bytes = 65536;
  Millis reconnect_grace_ms = 30000;  // how long a roster's offline user keeps its secret
};

// What the node needs from the state store: a stored room, for a takeover.
using LoadRoom = std::function<std::optional<store::StoredRoom>(const std::string& room)>;

struct NodeLoad {
  std::int64_t rooms = 0, connections = 0;
  double load = 0;
};

class ClusterNode final : public ClusterRooms {
 public:
  ClusterNode(ClusterOptions options, UserDirectory& directory, Presence& presence,
              RoomService& rooms, metrics::Registry& registry, std::function<NodeLoad()> load,
              LoadRoom load_room);
  ~ClusterNode() override;

  // Takes the lease, subscribes to the node's inbox and starts the bus. Throws
  // std::runtime_error when another live process holds this node id.
  void start(std::string ws_address, std::string admin_address);
  // Releases the lease and stops every thread (after the server's last frames).
  void stop();
  // Shutdown, before the store's last flush: direct messages still waiting for another node's
  // acknowledgement go to the queue (at least once: maybe twice, never lost).
  void settle_dms();
  // "" while the node holds its lease; else why not (readyz).
  std::string not_ready_reason() const;
  const std::string& node_id() const { return options_.node_id; }

  // The store's write fence (store::WriteFence): our epoch of a room, and a write the registry
  // refused because another node owns the room now (it stops here at once).
  std::optional<std::int64_t> epoch_of(const std::string& room) const;
  void write_refused(const std::string& room);
  // A write found no owner record (Redis lost it): re-assert the room, then write it whole.
  void write_missing(const std::string& room);

  // Presence's observer: a change that happened here goes to every other node.
  void presence_changed(Presence::Change change, const std::string& user);
  // Resume secrets (IdentityGuard) are cluster-wide: a user protected on one node is protected
  // on all. secret_changed() sends a new secret's digest to every node; the hooks read and
  // record digests here.
  using DigestFn =
      std::function<void(const std::string& user, const std::string& digest, Millis at)>;
  struct SecretHooks {
    std::function<void(const DigestFn&)> for_each_issued;  // the digests issued here
    std::function<void(const std::string& user, const std::string& digest, Millis at, Millis until)>
        remember;
  };
  void set_secret_hooks(SecretHooks hooks) { secrets_ = std::move(hooks); }
  void secret_changed(const std::string& user, const std::string& digest, Millis at);

  // ClusterRooms
  void claim(const std::string& room, const std::string& game,
             std::function<void(Claim)> done) override;
  void forward(const Client& client, const std::string& room, const Frame& raw,
               std::vector<boost::json::object> not_found) override;
  void quick_join(const Client& client, std::vector<QuickJoinSource> sources) override;
  void room_changed(const std::string& room, const std::string& index_key,
                    const games::Summary& summary,
                    const std::vector<std::string>& members) override;
  void room_removed(const std::string& room) override;
  bool owns_stored_room(const std::string& room) override;
  bool moving(const std::string& room) override;
  std::string place_new_room() override;
  void forward_create(const Client& client, const std::string& node, const std::string& room,
                      const Frame& raw) override;

  // Hand-over (drain, SIGTERM; cluster_handover.cpp): every room here goes to the least-loaded
  // live nodes. pause_rooms() holds their messages from now on (it answers how many rooms);
  // the caller then freezes the rooms (each writes its final snapshot) and waits for the store;
  // hand_over_paused() moves each room (epoch + 1), tells its new owner, which restores it from the
  // snapshot, retires it here and sends its held messages on. `done(moved, kept)` runs on the job
  // thread; rooms that could not move (no other live node, Redis away) keep running here.
  std::size_t pause_rooms();
  void hand_over_paused(std::function<void(std::size_t moved, std::size_t kept)> done);

 private:
  class RemoteMember;
  friend class RemoteMember;
  struct Owned {
    std::int64_t epoch = 0;
    std::string game;
  };
  struct Held {  // a message for a room whose owner died, until the room has a new owner
    Client client;
    Frame raw;
    std::vector<boost::json::object> not_found;
  };
  struct Reserved {  // a connection's last quick-join seat reservation
    std::string index_key, room, who;
    Millis at = 0;  // mono ms
  };
  struct PendingDm {
    std::function<void(bool)> done;
    Millis deadline = 0;
  };

  // Sending (any thread): everything waits in the batcher for the bus thread.
  void queue_frame(const std::string& node, const std::string& room, const std::string& user,
                   const Frame& frame);
  // A member's game message for the room's owner. `gateway` is where the member is connected
  // ("" = here), `hops` how often a former owner passed the message on.
  void queue_input(const std::string& node, const std::string& room, const std::string& user,
                   const Frame& raw, const std::string& gateway = "", std::uint64_t hops = 0);
  void add_input_locked(const std::string& node, const std::string& room, const std::string& user,
                        const Frame& raw, const std::string& gateway = "",
                        std::uint64_t hops = 0);  // under bus_mutex_
  // The node a client's messages come from: its gateway for a remote member, "" (here) else.
  static std::string gateway_of(const Client& client);
  // Records a room this node owns from now on (under bus_mutex_): it is no longer "moved".
  void own_locked(const std::string& room, Owned owned);
  void queue_control(const std::string& node, std::string type, const boost::json::object& body);
  void add_control_locked(const std::string& node, std::string type,
                          const boost::json::object& body);  // under bus_mutex_
  void broadcast(const std::string& type, const boost::json::object& body);
  void send_dm(const std::string& node, const std::string& user, const Frame& frame,
               std::function<void(bool)> done);
  bool reachable_locked(const std::string& node) const;  // under bus_mutex_
  // Job thread: finds the room's owner and forwards, or holds the message while it has none.
  // `started_by`: the connection whose message started the lookup (0: none), for its budget.
  void route(const Client& client, const std::string& room, const Frame& raw,
             const std::vector<boost::json::object>& not_found, std::uint64_t started_by = 0);
  void end_lookup_locked(const std::string& room, std::uint64_t started_by);  // under bus_mutex_
  void reroute_lost_inputs(const cluster::OutgoingBusMessage& lost);
  // Job thread: before `who` reserves for `connection`, gives back the seat its previous quick
  // join reserved, or the connection's oldest when it holds the most it may.
  void cancel_reservation(std::uint64_t connection, const std::string& who);
  void bus_loop();
  void publish_pending();
  void refresh_nodes();

  // Receiving (the subscriber's thread).
  void on_bus_message(std::string_view bytes);
  void on_frame(const std::string& from, cluster::RoomFrame& frame);
  void on_input(const std::string& from, cluster::MemberInput& input);
  void on_control(const std::string& from, const cluster::ControlMessage& control);
  void on_resubscribed();

  // The directory entry of a user connected to `node`; replaces an older local connection.
  void bind_remote(const std::string& user, const std::string& node, int dialect, int status,
                   Millis bound_at);
  void unbind_remote(const std::string& user, const std::string& node);
  // Forgets every user of a node whose lease is gone.
  void drop_node(const std::string& node);
  void send_roster(const std::string& node);
  // A game message for a room that runs (or was just adopted) here, as if it had arrived here.
  void handle_here(const Client& client, const Frame& raw);

  // Failover (cluster_takeover.cpp): rooms of a node whose lease is gone are claimed by the
  // live nodes (one winner per room) and restored from their snapshots.
  void sweep_dead_nodes(const std::vector<std::string>& dead);  // bus thread
  void sweep_node(const std::string& node);                     // job thread
  // Job thread: claims and adopts one room of a dead owner; then its held messages go on.
  void take_over(const std::string& room);
  void release_held(const std::string& room);
  void adopt_handed(const std::string& room);  // job thread: a room handed over to us
  // A message came for a room that does not run here: if the registry says it is ours (a
  // hand-over whose `adopt` control the bus lost), adopt it now. Once per room at a time.
  void check_unannounced_locked(const std::string& room);  // under bus_mutex_
  void adopt_unannounced(const std::string& room);         // job thread
  void resync_followed(const std::string& owner);
  // Keeps only the users still connected here (subscriber thread): a resync names nobody else.
  void prune_followers(std::unordered_set<std::string>& users);

  ClusterOptions options_;
  UserDirectory& directory_;
  Presence& presence_;
  RoomService& rooms_;
  std::function<NodeLoad()> load_;
  LoadRoom load_room_;
  SecretHooks secrets_;
  std::unique_ptr<metrics::ClusterMetrics> metrics_;

  std::unique_ptr<cluster::RoomRegistry> registry_;   // job thread
  std::unique_ptr<cluster::JoinableIndex> joinable_;  // job thread
  std::unique_ptr<cluster::NodeLease> nodes_;         // bus thread: the node list
  std::unique_ptr<cluster::BusPublisher> publisher_;  // bus thread
  std::unique_ptr<cluster::LeaseKeeper> lease_;
  std::unique_ptr<cluster::BusSubscriber> subscriber_;
  JobThread jobs_{10000};

  // Under bus_mutex_: the batch being collected and what the senders look up per frame.
  mutable std::mutex bus_mutex_;
  std::condition_variable bus_wake_;
  std::unique_ptr<cluster::BusBatcher> batcher_;
  bool pending_ = false;
  bool stopping_ = false;
  std::unordered_map<std::string, Owned> owned_;         // rooms this node owns
  std::unordered_map<std::string, std::string> owners_;  // other nodes' rooms: room -> node
  std::unordered_map<std::string, int> lookups_;         // rooms whose owner is being looked up
  std::unordered_map<std::uint64_t, int> connection_lookups_;  // connection -> rooms it started
  std::unordered_map<std::string, Millis> unknown_;  // looked up, no owner: until (mono ms)
  // A connection's quick-join reservations, newest last: one per userId and at most a few, so
  // that a socket switching userIds cannot hoard seats (the public app uses one socket for the
  // userIds of all its rooms).
  std::unordered_map<std::uint64_t, std::vector<Reserved>> reserved_;
  std::unordered_map<std::string, PendingDm> dms_;           // direct messages awaiting their ack
  std::unordered_map<std::string, std::vector<Held>> held_;  // rooms being taken over
  std::set<std::string> sweeping_;                           // dead nodes with a sweep under way
  std::unordered_map<std::string, Millis> dead_since_;       // dead nodes: when first swept (mono)
  std::set<std::string> moving_;    // ours, being handed over: messages are held
  std::set<std::string> incoming_;  // handed to us, not restored yet: messages are held
  std::set<std::string> checking_;  // rooms check_unannounced_locked() asks the registry about
  struct Moved {
    std::string node;  // the new owner
    Millis at = 0;     // mono ms: forgotten a while later, when the gateways have learnt it
  };
  std::unordered_map<std::string, Moved> moved_;     // handed over from here
  std::unordered_map<std::string, double> loads_;    // live nodes' load (the node list)
  std::chrono::steady_clock::time_point paused_at_;  // the last pause_rooms()
  std::set<std::string> alive_;                      // nodes with a live lease, us included
  std::set<std::string> unreachable_;                // the last publish to them had no receiver
  std::uint64_t next_dm_ = 0;
  bool dms_settled_ = false;  // shutting down: settle_dms() ran
  std::thread bus_thread_;

  // Subscriber thread only: the gateway's view of other nodes' rooms.
  std::unique_ptr<cluster::GapDetector> gaps_;
  std::unordered_map<std::string, std::pair<std::string, std::unordered_set<std::string>>>
      followed_;  // room -> (owner, local users it sent frames to)
  bool subscribed_once_ = false;

  std::mutex bound_mutex_;
  std::unordered_map<std::string, Millis> bound_at_;  // local users: when they bound here
  std::atomic<std::uint64_t> next_member_id_{1ULL << 62};
  // Monotonic ms since which our lease has been held without a gap or a re-creation (0: not).
  std::atomic<Millis> lease_stable_since_{0};
  std::uint64_t lease_reasserts_seen_ = 0;  // bus thread
  std::uint64_t list_reads_ = 0;            // bus thread
};

}  // namespace roomctl::runtime
