// `roomctl loadtest --report FILE.html` against a real server: the page is self-contained (no
// script, nothing fetched), carries the thresholds with their verdicts and five charts with
// per-second data, and headless Chromium renders it with its charts.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/integration/server_process.hpp"

using namespace roomctl::test;

namespace {
std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("loadtest --report FILE.html writes a self-contained page with charts", "[loadtest]") {
  ServerProcess server({"games.time_scale=0.05"});
  std::string page = "/tmp/roomctl-report-" + std::to_string(getpid()) + ".html";
  std::string out;
  int rc = run_command({ROOMCTL_BINARY, "loadtest", "--profile",
                        std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/smoke.yaml", "--set",
                        "target=ws://127.0.0.1:" + std::to_string(server.port()) + "/", "--set",
                        "thresholds.fanout_latency.p99=<5s", "--report", page},
                       out);
  INFO(out);
  REQUIRE(rc == 0);
  std::string html = slurp(page);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  // Self-contained: nothing to run and nothing to fetch.
  for (const char* outside : {"<script", "src=", "href=", "@import", "url(", "@font-face"})
    CHECK(count(html, outside) == 0);
  CHECK(count(html, "<svg") == 5);
  for (const char* title :
       {"Offered vs achieved load", "Fan-out latency", "Errors", "Connections", "Games"})
    CHECK(count(html, std::string("<title>") + title + "</title>") == 1);
  CHECK(html.find("Thresholds: <span class=\"pass\">passed") != std::string::npos);
  CHECK(html.find("fanout_latency.p99 &lt;5s") != std::string::npos);
  // Per-second points: every line has more than the two points of a start and an end.
  std::smatch m;
  REQUIRE(std::regex_search(html, m, std::regex("points=\"([^\"]*)\"")));
  CHECK(count(m[1].str(), ",") >= 3);

  if (access("/usr/bin/chromium", X_OK) != 0) {
    WARN("chromium is not installed: the page was not rendered (make deps installs it)");
  } else {
    std::string dom;
    std::string png = page + ".png";
    std::string flags = " --headless=new --no-sandbox --disable-gpu --hide-scrollbars ";
    CHECK(run_command({"sh", "-c",
                       "/usr/bin/chromium" + flags + "--dump-dom file://" + page + " 2>/dev/null"},
                      dom) == 0);
    CHECK(count(dom, "<svg") == 5);
    CHECK(count(dom, "<polyline") >= 8);
    CHECK(dom.find("id=\"thresholds\"") != std::string::npos);
    std::string shot;
    CHECK(run_command({"sh", "-c",
                       "/usr/bin/chromium" + flags + "--window-size=800,1800 --screenshot=" + png +
                           " file://" + page + " >/dev/null 2>&1"},
                      shot) == 0);
    CHECK(slurp(png).size() > 10000);  // a real picture, not an empty page
    unlink(png.c_str());
  }
  unlink(page.c_str());
}

TEST_CASE("loadtest --search refuses an HTML report", "[loadtest]") {
  std::string out;
  ServerProcess server({"games.time_scale=0.05"});
  CHECK(run_command({ROOMCTL_BINARY, "loadtest", "--profile",
                     std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/smoke.yaml", "--set",
                     "target=ws://127.0.0.1:" + std::to_string(server.port()) + "/", "--search",
                     "rooms", "--report", "/tmp/roomctl-search.html"},
                    out) == 2);
  CHECK(out.find("--search writes a JSON report") != std::string::npos);
}
