// Temporary: rooms arrive with the rooms runtime; until then every room is unknown.
#include "server/runtime/room_service.hpp"

#include "server/runtime/outbox.hpp"

namespace roomctl::runtime {

class RoomService::Impl {};

RoomService::RoomService(boost::asio::io_context&, const config::ServeOptions&, UserDirectory&,
                         Presence&, metrics::ServerMetrics&)
    : impl_(std::make_unique<Impl>()) {}
RoomService::~RoomService() = default;

void RoomService::handle(Client& client, protocol::Envelope& env, const Frame&) {
  if (env.family == protocol::Family::spy)
    client.outbox->send(make_frame(R"({"type":"spy_room_not_found"})"));
  else
    client.outbox->send(make_frame(R"({"type":"join_room_response","status":false,"message":"Room not found"})"));
}
void RoomService::disconnected(const std::string&, const std::vector<std::string>&) {}
void RoomService::reconnected(const std::string&, const std::vector<std::string>&) {}
void RoomService::grace_expired(const std::string&, const std::vector<std::string>&) {}
void RoomService::sweep(Millis) {}
std::size_t RoomService::room_count() const { return 0; }

}  // namespace roomctl::runtime
