// What a registry script answers: an outcome and the owner record {node, epoch} it saw or wrote.
// A refused operation (stale, taken, exists ...) is an answer, not an error: only a Redis failure
// throws (store::RedisUnavailable / RedisError), so that a caller can tell "someone else owns
// this room now, stop it" from "Redis is away, keep running from memory and retry".
#pragma once

#include <cstdint>
#include <string>

struct redisReply;

namespace roomctl::cluster {

enum class Outcome {
  claimed,     // claim: the room is ours with a new epoch (previous epoch + 1)
  owned,       // claim/reassert: it already was ours with this epoch (nothing changed)
  exists,      // claim(create): another node holds the id (duplicate room id)
  taken,       // claim(takeover): the owner's lease is alive
  suspect,     // claim(takeover): the owner's lease is missing, but not yet for the grace period
  no_lease,    // claim: the claiming node holds no lease itself
  stale,       // handover/release/write/reassert: the record names another node or epoch
  no_target,   // handover: the target node holds no lease
  moved,       // handover: the room now belongs to the target with epoch + 1
  released,    // release: the room has no owner any more (the epoch is kept)
  reasserted,  // reassert: the record was missing (Redis lost it) and is ours again, same epoch
  written,     // write: the snapshot is stored
  not_found,   // claim(takeover): the room has no owner record (never created, released or lost)
};

const char* to_string(Outcome o);
Outcome outcome_from_string(const std::string& s);  // throws std::runtime_error when unknown

struct OwnerRecord {
  Outcome outcome = Outcome::not_found;
  std::string node;        // empty when the room has no owner
  std::int64_t epoch = 0;  // the fencing token: increases on every change of owner
  bool ok() const {
    return outcome == Outcome::claimed || outcome == Outcome::owned || outcome == Outcome::moved ||
           outcome == Outcome::released || outcome == Outcome::reasserted ||
           outcome == Outcome::written;
  }
};

// Lua shared by the scripts that act for an owner (hand-over, release, snapshot writes, seat
// publishing): the owner record's node and epoch, and whether they are the caller's.
inline constexpr const char* kFenceLua = R"(
local function fence(owner_key, node, epoch)
  local cur = redis.call('HMGET', owner_key, 'node', 'epoch')
  local n, e = cur[1] or '', tonumber(cur[2] or '0')
  return n, e, n == node and e == tonumber(epoch)
end
)";

// Reads a script's {outcome, node, epoch} answer; throws store::RedisError when malformed.
OwnerRecord parse_owner_reply(const redisReply* r);

}  // namespace roomctl::cluster
