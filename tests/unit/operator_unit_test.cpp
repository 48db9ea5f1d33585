// Pure pieces of the operator tooling: plain numbers for inspect, full-precision exposition,
// the misspelt-variable check, and per-second quantiles of the HTML report's series.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "inspect/plain_json.hpp"
#include "loadgen/report_html.hpp"
#include "server/config/profile.hpp"
#include "server/config/serve_options.hpp"
#include "server/metrics/registry.hpp"

using namespace roomctl;

TEST_CASE("inspect prints numbers plainly, never in exponent form", "[inspect]") {
  CHECK(inspect::plain_number(30.0) == "30");
  CHECK(inspect::plain_number(0.05) == "0.05");
  CHECK(inspect::plain_number(1764325000.123) == "1764325000.123");
  CHECK(inspect::plain_json(boost::json::parse(R"({"a":3E1,"b":[5E-2,"x\"y"],"c":null})")) ==
        R"({"a":30,"b":[0.05,"x\"y"],"c":null})");
}

TEST_CASE("the exposition keeps a start time's milliseconds", "[metrics]") {
  metrics::Registry r;
  r.gauge("process_start_time_seconds", "Start").with().set(1764325000.123);
  r.gauge("t_small", "Small").with().set(0.1);
  std::string text = r.render();
  CHECK(text.find("process_start_time_seconds 1764325000.123\n") != std::string::npos);
  CHECK(text.find("t_small 0.1\n") != std::string::npos);
}

TEST_CASE("a ROOMCTL_ variable that matches no key is reported with the nearest", "[config]") {
  std::string a = "ROOMCTL_LIMITS_MAX_CONECTIONS=5", b = "ROOMCTL_LIMITS_MAX_ROOMS=5",
              c = "ROOMCTL_INSPECT_SERVER=x", d = "PATH=/bin";
  char* envp[] = {a.data(), b.data(), c.data(), d.data(), nullptr};
  auto warnings =
      config::unknown_environment(envp, {&config::serve_schema()}, {"ROOMCTL_INSPECT_SERVER"});
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("ROOMCTL_LIMITS_MAX_CONECTIONS") != std::string::npos);
  CHECK(warnings[0].find("did you mean \"ROOMCTL_LIMITS_MAX_CONNECTIONS\"") != std::string::npos);
}

TEST_CASE("the HTML report's series hold per-second rates and quantiles", "[loadgen]") {
  loadgen::SeriesRecorder rec;
  loadgen::Stats s;
  for (int i = 0; i < 100; ++i) s.latency("fanout_latency", 1000);  // 1 ms in the first second
  s.inc("messages_sent", 50);
  rec.add(s, 1.0);
  for (int i = 0; i < 100; ++i) s.latency("fanout_latency", 100000);  // 100 ms in the second
  s.inc("messages_sent", 200);
  rec.add(s, 2.0);
  rec.add(s, 2.0);  // a repeated snapshot adds nothing
  REQUIRE(rec.points().size() == 2);
  CHECK(rec.points()[0].sent == 50);
  CHECK(rec.points()[1].sent == 200);
  CHECK(rec.points()[0].fanout_p99_ms == Approx(1).epsilon(0.1));
  // The second second's quantile is of its own samples, not of the whole run's.
  CHECK(rec.points()[1].fanout_p50_ms == Approx(100).epsilon(0.1));
  CHECK(loadgen::is_html_path("out.html"));
  CHECK_FALSE(loadgen::is_html_path("out.json"));
}
