// Outcome names (the strings the registry scripts answer) and the reply reader.
#include "server/cluster/ownership.hpp"

#include <array>
#include <stdexcept>
#include <utility>

#include "server/store/redis_connection.hpp"

namespace roomctl::cluster {

namespace {
constexpr std::array<std::pair<Outcome, const char*>, 13> kOutcomes{{
    {Outcome::claimed, "claimed"},
    {Outcome::owned, "owned"},
    {Outcome::exists, "exists"},
    {Outcome::taken, "taken"},
    {Outcome::suspect, "suspect"},
    {Outcome::no_lease, "no_lease"},
    {Outcome::stale, "stale"},
    {Outcome::no_target, "no_target"},
    {Outcome::moved, "moved"},
    {Outcome::released, "released"},
    {Outcome::reasserted, "reasserted"},
    {Outcome::written, "written"},
    {Outcome::not_found, "not_found"},
}};

}  // namespace

const char* to_string(Outcome o) {
  for (const auto& [value, name] : kOutcomes)
    if (value == o) return name;
  return "?";
}

Outcome outcome_from_string(const std::string& s) {
  for (const auto& [value, name] : kOutcomes)
    if (s == name) return value;
  throw std::runtime_error("cluster registry: unknown script answer \"" + s + "\"");
}

OwnerRecord parse_owner_reply(const redisReply* r) {
  if (store::reply_size(r) != 3) throw store::RedisError("cluster registry: malformed answer");
  OwnerRecord out;
  out.outcome = outcome_from_string(store::reply_string(store::reply_element(r, 0)));
  out.node = store::reply_string(store::reply_element(r, 1));
  out.epoch = store::reply_integer(store::reply_element(r, 2));
  return out;
}

}  // namespace roomctl::cluster
