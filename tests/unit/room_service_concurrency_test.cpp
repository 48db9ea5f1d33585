// RoomService from several threads at once, as the server calls it: every connection's strand
// may create a room at any time, while the io threads run the new rooms' strands. Under
// ThreadSanitizer (make tsan) this shows races on RoomService's shared state: generated room ids
// and game seeds (empty roomId), the registry and the joinable index.
#include <catch2/catch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "server/config/serve_options.hpp"
#include "server/config/settings.hpp"
#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/protocol/envelope.hpp"
#include "server/runtime/persistence.hpp"
#include "server/runtime/presence.hpp"
#include "server/runtime/room_service.hpp"
#include "server/runtime/user_directory.hpp"
#include "server/store/memory_store.hpp"

using namespace roomctl;

namespace {

// Frames reach a user from the thread that handled its message and from its room's strand, so
// unlike FakeOutbox this one takes a lock.
class LockedOutbox : public runtime::Outbox {
 public:
  explicit LockedOutbox(std::uint64_t id) : id_(id) {}
  void send(Frame f) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(*f);
  }
  void send_then(Frame f, std::function<void(bool)> done) override {
    send(std::move(f));
    if (done) done(true);
  }
  void close(std::uint16_t, std::string) override {}
  std::uint64_t id() const override { return id_; }
  std::vector<std::string> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  std::uint64_t id_;
  mutable std::mutex mutex_;
  std::vector<std::string> sent_;
};

std::string created_room(const std::vector<std::string>& frames) {
  for (const auto& f : frames) {
    auto o = boost::json::parse(f).as_object();
    if (o.at("type").as_string() == "create_room_response" && o.at("status").as_bool())
      return std::string(o.at("roomId").as_string());
  }
  return "";
}

}  // namespace

TEST_CASE("rooms: concurrent creation with generated ids from several threads",
          "[runtime][rooms]") {
  config::Settings settings(config::serve_schema());
  auto options = config::serve_options(settings);
  metrics::Registry registry;
  metrics::ServerMetrics metrics(registry);
  runtime::UserDirectory directory;
  runtime::Presence presence(directory, metrics, false);
  // Two event-loop threads, one io_context each, as the server's shards.
  boost::asio::io_context ioc[2];
  auto work0 = boost::asio::make_work_guard(ioc[0]);
  auto work1 = boost::asio::make_work_guard(ioc[1]);
  std::vector<std::thread> io;
  for (int i = 0; i < 2; ++i) io.emplace_back([&, i] { ioc[i].run(); });
  std::atomic<int> next_ioc{0};
  auto executor = [&]() -> boost::asio::io_context& { return ioc[next_ioc++ % 2]; };

  constexpr int kThreads = 4;
  constexpr int kRoomsPerThread = 25;
  std::vector<std::shared_ptr<LockedOutbox>> boxes;
  for (int i = 0; i < kThreads * kRoomsPerThread; ++i)
    boxes.push_back(std::make_shared<LockedOutbox>(static_cast<std::uint64_t>(i)));
  {
    store::MemoryStore store;
    runtime::Persistence persistence(store, metrics);
    runtime::RoomService rooms(executor, options, directory, presence, metrics, persistence);
    std::vector<std::thread> creators;
    for (int t = 0; t < kThreads; ++t) {
      creators.emplace_back([&, t] {
        for (int i = 0; i < kRoomsPerThread; ++i) {
          int n = t * kRoomsPerThread + i;
          runtime::Client client{boxes[static_cast<std::size_t>(n)], "user" + std::to_string(n)};
          directory.bind(client.user, client.outbox);
          // No roomId: the service generates the id and seeds the game from its engine.
          bool spy = n % 2 == 0;
          std::string text = spy ? R"({"EventFrom":"SpyGame","type":"CREATE_ROOM"})"
                                 : R"({"EventFrom":"SkribbleGame","type":"CREATE_SKRIBBLE_ROOM"})";
          auto parsed = protocol::parse_envelope(text, {});
          rooms.handle(*runtime::game_for(parsed.envelope), client, parsed.envelope,
                       make_frame(text));
          (void)rooms.size();
        }
      });
    }
    for (auto& c : creators) c.join();
    CHECK(rooms.size() == static_cast<std::size_t>(kThreads * kRoomsPerThread));

    // Every room's strand ran the creation: each creator got its generated id back.
    std::set<std::string> ids;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (auto& box : boxes) {
      std::string id;
      while ((id = created_room(box->sent())).empty() &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      CHECK_FALSE(id.empty());
      ids.insert(id);
    }
    CHECK(ids.size() == boxes.size());  // generated ids never collide
    // Rooms in the lobby arm no timer and nothing is persisted: the io threads run dry.
    work0.reset();
    work1.reset();
    for (auto& t : io) t.join();
  }
}
