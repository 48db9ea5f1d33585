// Resume secrets as a cluster shares them: only digests are kept, a client proving its secret
// keeps it, the newest digest wins when two nodes race (ties alike everywhere), a digest a roster
// brought for an offline user lapses after its grace, and only digests issued here are listed.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <memory>

#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"
#include "server/runtime/identity_guard.hpp"
#include "tests/unit/fake_outbox.hpp"

using namespace roomctl;
using roomctl::test::FakeOutbox;

namespace {
struct Guard {
  metrics::Registry registry;
  metrics::ServerMetrics metrics{registry};
  runtime::IdentityGuard guard{config::AuthOptions{"none", "", "", 0}, metrics};
  std::map<std::string, std::string> issued;  // what the observer saw
  Guard() {
    guard.set_observer(
        [this](const std::string& u, const std::string& d, Millis) { issued[u] = d; });
  }
  // Binds `user` with `body` on a fresh connection: "" when allowed, else the refusal's code.
  std::string bind(const std::string& user, const std::string& body,
                   std::string* secret = nullptr) {
    runtime::Client c;
    auto out = std::make_shared<FakeOutbox>(1);
    c.outbox = out;
    auto o = boost::json::parse(body).as_object();
    if (auto r = guard.may_bind(c, user, o); !r.code.empty()) return r.code;
    c.user = user;
    guard.bound(c, o);
    if (secret && !out->sent.empty())
      *secret = std::string(boost::json::parse(out->sent.back()).at("resumeSecret").as_string());
    return "";
  }
};
}  // namespace

TEST_CASE("identity guard: a proven secret is kept, its digest reported once", "[auth]") {
  Guard g;
  std::string secret, again;
  REQUIRE(g.bind("u", R"({"resume":true})", &secret) == "");
  REQUIRE(g.issued.count("u"));
  CHECK(g.issued["u"] == runtime::IdentityGuard::digest(secret));
  CHECK(g.issued["u"].find(secret) == std::string::npos);  // a digest, never the secret
  CHECK(g.bind("u", R"({})") == "resume_required");
  g.issued.clear();
  REQUIRE(g.bind("u", R"({"resume":true,"resumeSecret":")" + secret + "\"}", &again) == "");
  CHECK(again == secret);
  CHECK(g.issued.empty());  // nothing new to tell the other nodes
}

TEST_CASE("identity guard: remembered digests, the newest wins, roster ones lapse", "[auth]") {
  Guard g;
  auto d1 = runtime::IdentityGuard::digest("one"), d2 = runtime::IdentityGuard::digest("two");
  g.guard.remember("u", d1, 100, 0);
  CHECK(g.bind("u", R"({"resumeSecret":"one"})") == "");
  g.guard.remember("u", d2, 50, 0);  // older: ignored
  CHECK(g.bind("u", R"({"resumeSecret":"one"})") == "");
  g.guard.remember("u", d2, 200, 0);  // newer: replaces
  CHECK(g.bind("u", R"({"resumeSecret":"one"})") == "resume_required");
  CHECK(g.bind("u", R"({"resumeSecret":"two"})") == "");
  // A tie is settled by the digest itself, so every node settles it the same way.
  Guard a, b;
  a.guard.remember("t", d1, 300, 0);
  a.guard.remember("t", d2, 300, 0);
  b.guard.remember("t", d2, 300, 0);
  b.guard.remember("t", d1, 300, 0);
  auto winner = d1 > d2 ? "one" : "two";
  CHECK(a.bind("t", std::string(R"({"resumeSecret":")") + winner + "\"}") == "");
  CHECK(b.bind("t", std::string(R"({"resumeSecret":")") + winner + "\"}") == "");
  // Garbage is not a digest.
  g.guard.remember("x", "not-hex", 1, 0);
  CHECK(g.bind("x", R"({})") == "");
  // A roster's digest for a user offline there lapses at its `until`.
  g.guard.remember("r", d1, 1, 5000);
  CHECK(g.bind("r", R"({})") == "resume_required");
  g.guard.sweep(4000);
  CHECK(g.bind("r", R"({})") == "resume_required");
  g.guard.sweep(6000);
  CHECK(g.bind("r", R"({})") == "");
  // Only digests issued here are listed for a node that joins.
  std::string s;
  REQUIRE(g.bind("mine", R"({"resume":true})", &s) == "");
  std::vector<std::string> listed;
  g.guard.for_each_issued(
      [&](const std::string& u, const std::string&, Millis) { listed.push_back(u); });
  CHECK(listed == std::vector<std::string>{"mine"});
}
