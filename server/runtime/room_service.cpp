// Rooms runtime: room creation (limits, duplicate ids, generated ids), quick join through the
// joinable index, routing to room actors, presence-driven events, restore and flush.
#include "server/runtime/room_service_impl.hpp"

namespace roomctl::runtime {

RoomService::RoomService(boost::asio::io_context& ioc, const config::ServeOptions& options,
                         UserDirectory& directory, Presence& presence,
                         metrics::ServerMetrics& metrics, Persistence* persistence)
    : impl_(std::make_unique<Impl>(ioc, options, directory, presence, metrics, persistence)) {}
RoomService::~RoomService() = default;

void RoomService::handle(Client& client, protocol::Envelope& env, const Frame& raw) {
  if (client.user.empty()) {
    impl_->metrics.client_errors.with({"not_identified"}).inc();
    client.send(msg({{"type", "error"},
                     {"code", "not_identified"},
                     {"message", "game messages need a userId"}}));
    return;
  }
  if (env.family == Family::spy)
    impl_->handle_spy(client, env);
  else
    impl_->handle_skribble(client, env, raw);
}

void RoomService::disconnected(const std::string& user, const std::vector<std::string>& rooms) {
  impl_->post_to_rooms(user, rooms, games::Event::Kind::disconnected);
}
void RoomService::reconnected(const std::string& user, const std::vector<std::string>& rooms) {
  impl_->post_to_rooms(user, rooms, games::Event::Kind::connected);
}
void RoomService::grace_expired(const std::string& user, const std::vector<std::string>& rooms) {
  impl_->post_to_rooms(user, rooms, games::Event::Kind::leave);
}
void RoomService::sweep(Millis now) {
  impl_->sweep(now);
}
std::size_t RoomService::room_count() const {
  return impl_->registry.size();
}
boost::json::object RoomService::quarantined() const {
  std::lock_guard lock(impl_->quarantine_mutex);
  boost::json::object o;
  for (const auto& [id, why] : impl_->quarantine) o[id] = why;
  return o;
}

std::size_t RoomService::restore(store::StateStore& store) {
  return impl_->restore(store);
}

void RoomService::flush_all(std::function<void()> done, bool force) {
  auto rooms = impl_->registry.all();
  if (rooms.empty()) return done();
  auto left = std::make_shared<std::atomic<std::size_t>>(rooms.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& r : rooms)
    r->flush(
        [left, shared_done] {
          if (left->fetch_sub(1) == 1) (*shared_done)();
        },
        force);
}

}  // namespace roomctl::runtime
