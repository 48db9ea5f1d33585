// The registry's exposition format.
#include <catch2/catch.hpp>

#include "server/metrics/registry.hpp"
#include "server/metrics/server_metrics.hpp"

using namespace roomctl::metrics;

TEST_CASE("registry renders counters, gauges and cumulative histograms", "[metrics]") {
  Registry r;
  r.counter("t_events_total", "Events", {"kind"}).with({"a\"b"}).inc(2);
  r.gauge("t_level", "Level").with().set(1.5);
  auto& h = r.histogram("t_seconds", "Latency", {0.1, 1}).with();
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string text = r.render();
  CHECK(text.find("# TYPE t_events_total counter") != std::string::npos);
  CHECK(text.find("t_events_total{kind=\"a\\\"b\"} 2") != std::string::npos);
  CHECK(text.find("t_level 1.5") != std::string::npos);
  CHECK(text.find("t_seconds_bucket{le=\"0.1\"} 1") != std::string::npos);
  CHECK(text.find("t_seconds_bucket{le=\"1\"} 2") != std::string::npos);
  CHECK(text.find("t_seconds_bucket{le=\"+Inf\"} 3") != std::string::npos);
  CHECK(text.find("t_seconds_count 3") != std::string::npos);
  CHECK(text.find("t_seconds_sum 5.55") != std::string::npos);
}

TEST_CASE("collectors run before rendering", "[metrics]") {
  Registry r;
  auto& g = r.gauge("t_polled", "Polled").with();
  int calls = 0;
  r.on_collect([&] { g.set(++calls); });
  CHECK(r.render().find("t_polled 1") != std::string::npos);
  CHECK(r.render().find("t_polled 2") != std::string::npos);
}

TEST_CASE("labelled counters with known label values start at 0", "[metrics]") {
  // rate() and the dashboards need a series before its first event.
  Registry r;
  roomctl::metrics::ServerMetrics m(r);
  auto text = r.render();
  CHECK(text.find("roomctl_rooms_removed_total{reason=\"idle\"} 0") != std::string::npos);
  CHECK(text.find("roomctl_refusals_total{limit=\"max_rooms\"} 0") != std::string::npos);
  CHECK(text.find("roomctl_connections_closed_total{reason=\"slow_consumer\"} 0") !=
        std::string::npos);
  CHECK(text.find("roomctl_frames_queued_total{family=\"presence\"} 0") != std::string::npos);
}
