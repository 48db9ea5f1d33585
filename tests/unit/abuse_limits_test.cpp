// Per-user and per-address limits: minute windows, rooms held until removed, open connections,
// and 0 as "no limit". Every refusal counts in roomctl_refusals_total{limit}.
#include <catch2/catch.hpp>

#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/runtime/abuse_limits.hpp"

using roomctl::runtime::AbuseLimits;

namespace {
roomctl::config::AbuseOptions limits() {
  return {2, 3, 2, 2, 2, 2};  // creations/user, creations/address, held, dms, identities, conns
}
}  // namespace

TEST_CASE("room creations per user and per address, per minute window", "[abuse]") {
  roomctl::metrics::Registry r;
  roomctl::metrics::ServerMetrics m(r);
  auto o = limits();
  o.rooms_held_per_user = 0;
  AbuseLimits a(o, m);
  CHECK(a.room_create("u1", "10.0.0.1", 0) == nullptr);
  CHECK(a.room_create("u1", "10.0.0.1", 1) == nullptr);
  CHECK(std::string(a.room_create("u1", "10.0.0.1", 2)) == "room_creations_user");
  CHECK(a.room_create("u2", "10.0.0.1", 3) == nullptr);
  CHECK(std::string(a.room_create("u3", "10.0.0.1", 4)) == "room_creations_address");
  CHECK(a.room_create("u4", "10.0.0.2", 5) == nullptr);
  // A minute later the windows start again.
  CHECK(a.room_create("u1", "10.0.0.1", 60'001) == nullptr);
}

TEST_CASE("rooms held: a removed room frees its creator's slot", "[abuse]") {
  roomctl::metrics::Registry r;
  roomctl::metrics::ServerMetrics m(r);
  auto o = limits();
  o.room_creations_per_user = 0;
  o.room_creations_per_address = 0;
  AbuseLimits a(o, m);
  a.room_created("u1", "r1");
  a.room_created("u1", "r2");
  CHECK(std::string(a.room_create("u1", "", 0)) == "rooms_held");
  a.room_removed("r1");
  CHECK(a.room_create("u1", "", 0) == nullptr);
  a.room_removed("unknown");  // a room created before the limits knew it: nothing happens
}

TEST_CASE("DMs, identities and connections, 0 turns a limit off", "[abuse]") {
  roomctl::metrics::Registry r;
  roomctl::metrics::ServerMetrics m(r);
  AbuseLimits a(limits(), m);
  CHECK(a.dm("u", 0));
  CHECK(a.dm("u", 0));
  CHECK_FALSE(a.dm("u", 0));
  CHECK(m.refusals.with({"dm_rate"}).value() == 1);
  CHECK(a.identity("10.0.0.1", 0));
  CHECK(a.identity("10.0.0.1", 0));
  CHECK_FALSE(a.identity("10.0.0.1", 0));
  CHECK(a.identity("", 0));  // no address known: not limited
  CHECK(a.connection_opened("10.0.0.1"));
  CHECK(a.connection_opened("10.0.0.1"));
  CHECK_FALSE(a.connection_opened("10.0.0.1"));
  a.connection_closed("10.0.0.1");
  CHECK(a.connection_opened("10.0.0.1"));
  CHECK(m.refusals.with({"connections_per_address"}).value() == 1);
  a.sweep(120'000);
  CHECK(a.dm("u", 120'000));

  AbuseLimits off({0, 0, 0, 0, 0, 0}, m);
  for (int i = 0; i < 100; ++i) {
    CHECK(off.dm("u", 0));
    CHECK(off.connection_opened("a"));
    CHECK(off.room_create("u", "a", 0) == nullptr);
    off.room_created("u", "r" + std::to_string(i));
  }
}
