// The HTML report: a summary table (the terminal's, in <pre>), the thresholds, and line charts
// drawn as SVG polylines from the per-second series. Quantiles per second come from the
// difference of two cumulative histograms, so a late spike shows where it happened instead of
// being averaged into the whole run.
#include "loadgen/report_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace roomctl::loadgen {

namespace {
// The q-quantile (ms) of the samples recorded between `before` and `after`, at bucket
// resolution; 0 when there were none. Binary search over bucket edges: the difference of the
// cumulative counts at an edge only grows with the edge.
double delta_quantile_ms(const Histogram& after, const Histogram* before, double q) {
  std::uint64_t total = after.count() - (before ? before->count() : 0);
  if (total == 0) return 0;
  auto below = [&](std::int64_t edge) {
    return after.count_at_or_below(edge) - (before ? before->count_at_or_below(edge) : 0);
  };
  auto want = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  std::size_t lo = 0, hi = Histogram::index_of(after.max());
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (below(Histogram::upper_edge(mid)) >= want)
      hi = mid;
    else
      lo = mid + 1;
  }
  return static_cast<double>(std::min(Histogram::upper_edge(lo), after.max())) / 1000.0;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  if (std::fabs(v) >= 100 || v == std::floor(v))
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A verdict's value as people read it: latencies in ms (they are kept in seconds).
std::string measured(const Stats& stats, const Verdict& v) {
  if (!v.known) return "n/a";
  bool latency = stats.histograms.count(v.threshold.metric) && v.threshold.stat != "count" &&
                 v.threshold.stat != "negative";
  return latency ? num(v.value * 1000) + " ms" : num(v.value);
}

struct Line {
  std::string name, color;
  std::vector<double> values;
};

// A line chart: the x axis is the run's seconds, the y axis starts at 0.
std::string chart(const std::string& title, const std::string& unit, const std::vector<double>& t,
                  const std::vector<Line>& lines) {
  const double W = 720, H = 250, L = 60, R = 12, T = 44, B = 30;
  double tmax = t.empty() ? 1 : std::max(1.0, t.back());
  double ymax = 0;
  for (const auto& l : lines)
    for (double v : l.values) ymax = std::max(ymax, v);
  // A round top (1, 2 or 5 times a power of ten) so the grid labels read well.
  double step = std::pow(10, std::floor(std::log10(ymax > 0 ? ymax : 1)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * step >= ymax) {
      ymax = m * step;
      break;
    }
  auto x = [&](double s) { return L + (W - L - R) * s / tmax; };
  auto y = [&](double v) { return T + (H - T - B) * (1 - v / ymax); };
  std::ostringstream svg;
  svg << "<figure class=\"chart\"><svg role=\"img\" viewBox=\"0 0 " << W << " " << H
      << "\" width=\"" << W << "\" height=\"" << H << "\"><title>" << escape(title)
      << "</title><text x=\"" << L << "\" y=\"18\" class=\"t\">" << escape(title) << " ("
      << escape(unit) << ")</text>";
  for (int i = 0; i <= 4; ++i) {  // horizontal grid with labels
    double v = ymax * i / 4;
    svg << "<line x1=\"" << L << "\" x2=\"" << W - R << "\" y1=\"" << y(v) << "\" y2=\"" << y(v)
        << "\" class=\"g\"/><text x=\"" << L - 6 << "\" y=\"" << y(v) + 4
        << "\" class=\"a\" text-anchor=\"end\">" << num(v) << "</text>";
  }
  for (int i = 0; i <= 5; ++i) {
    double s = tmax * i / 5;
    svg << "<text x=\"" << x(s) << "\" y=\"" << H - 10 << "\" class=\"a\" text-anchor=\"middle\">"
        << num(s) << "s</text>";
  }
  double legend_x = L;  // the legend has its own line under the title
  for (const auto& l : lines) {
    svg << "<polyline fill=\"none\" stroke=\"" << l.color << "\" stroke-width=\"2\" points=\"";
    for (std::size_t i = 0; i < l.values.size() && i < t.size(); ++i)
      svg << x(t[i]) << "," << y(l.values[i]) << " ";
    svg << "\"/><rect x=\"" << legend_x << "\" y=\"27\" width=\"12\" height=\"4\" fill=\""
        << l.color << "\"/><text x=\"" << legend_x + 16 << "\" y=\"33\" class=\"a\">"
        << escape(l.name) << "</text>";
    legend_x += 30 + 7.0 * static_cast<double>(l.name.size());
  }
  svg << "</svg></figure>\n";
  return svg.str();
}

template <typename F>
std::vector<double> column(const std::vector<SeriesPoint>& s, F f) {
  std::vector<double> out;
  for (const auto& p : s) out.push_back(f(p));
  return out;
}
}  // namespace

void SeriesRecorder::add(const Stats& s, double elapsed_s) {
  double dt = elapsed_s - previous_t_;
  if (dt <= 0) return;
  auto rate = [&](const char* c) {
    return static_cast<double>(s.counter(c) - previous_.counter(c)) / dt;
  };
  SeriesPoint p;
  p.t = elapsed_s;
  p.offered = rate("offered_messages");
  p.sent = rate("messages_sent");
  p.received = rate("messages_received");
  p.errors = rate("errors");
  p.connections = static_cast<double>(s.counter("connections"));
  p.disconnects = static_cast<double>(s.counter("disconnects"));
  p.games_started = static_cast<double>(s.counter("games_started"));
  p.games_completed = static_cast<double>(s.counter("games_completed"));
  if (auto it = s.histograms.find("fanout_latency"); it != s.histograms.end()) {
    auto prev = previous_.histograms.find("fanout_latency");
    const Histogram* before = prev == previous_.histograms.end() ? nullptr : &prev->second;
    p.fanout_p50_ms = delta_quantile_ms(it->second, before, 0.5);
    p.fanout_p99_ms = delta_quantile_ms(it->second, before, 0.99);
  }
  points_.push_back(p);
  previous_ = s;
  previous_t_ = elapsed_s;
}

bool is_html_path(const std::string& path) {
  auto ends = [&](const std::string& suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends(".html") || ends(".htm");
}

std::string html_report(const Stats& stats, const std::vector<Verdict>& verdicts,
                        const std::vector<SeriesPoint>& series, double elapsed_s,
                        const HtmlRunInfo& info) {
  bool passed = std::all_of(verdicts.begin(), verdicts.end(), [](auto& v) { return v.passed; });
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<title>roomctl load test: " << escape(info.profile) << "</title><style>"
      << "body{font-family:sans-serif;margin:2em;max-width:780px;color:#222}"
      << "pre{background:#f4f4f4;padding:1em;overflow-x:auto;font-size:12px}"
      << "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
      << ".pass{color:#16794a;font-weight:bold}.fail{color:#b3261e;font-weight:bold}"
      << "svg .g{stroke:#e3e3e3}svg .a{font-size:11px;fill:#555}svg .t{font-size:13px;"
      << "font-weight:bold}figure{margin:1em 0}</style></head><body>\n"
      << "<h1>roomctl load test</h1>\n<p>Profile <code>" << escape(info.profile)
      << "</code>, roomctl " << escape(info.version) << ", from " << escape(info.started_at)
      << " to " << escape(info.ended_at) << " (" << num(elapsed_s) << " s)."
      << (info.interrupted ? " <span class=\"fail\">Interrupted.</span>" : "")
      << (info.aborted.empty()
              ? ""
              : " <span class=\"fail\">Aborted: " + escape(info.aborted) + "</span>")
      << "</p>\n<h2>Thresholds: <span class=\"" << (passed ? "pass\">passed" : "fail\">failed")
      << "</span></h2>\n";
  if (verdicts.empty()) {
    out << "<p>The profile sets no threshold.</p>\n";
  } else {
    out << "<table "
           "id=\"thresholds\"><tr><th>threshold</th><th>measured</th><th>verdict</th></tr>\n";
    for (const auto& v : verdicts)
      out << "<tr><td><code>"
          << escape(v.threshold.metric + "." + v.threshold.stat + " " + v.threshold.text)
          << "</code></td><td>" << measured(stats, v) << "</td><td class=\""
          << (v.passed ? "pass\">pass" : "fail\">FAIL") << "</td></tr>\n";
    out << "</table>\n";
  }
  std::vector<double> t = column(series, [](auto& p) { return p.t; });
  out << "<h2>Over time</h2>\n"
      << chart("Offered vs achieved load", "messages/s", t,
               {{"offered", "#888888", column(series, [](auto& p) { return p.offered; })},
                {"sent", "#1f77b4", column(series, [](auto& p) { return p.sent; })},
                {"received", "#2ca02c", column(series, [](auto& p) { return p.received; })}})
      << chart("Fan-out latency", "ms", t,
               {{"p50", "#1f77b4", column(series, [](auto& p) { return p.fanout_p50_ms; })},
                {"p99", "#d62728", column(series, [](auto& p) { return p.fanout_p99_ms; })}})
      << chart("Errors", "errors/s", t,
               {{"errors", "#d62728", column(series, [](auto& p) { return p.errors; })}})
      << chart("Connections", "total", t,
               {{"opened", "#9467bd", column(series, [](auto& p) { return p.connections; })},
                {"lost", "#d62728", column(series, [](auto& p) { return p.disconnects; })}})
      << chart(
             "Games", "total", t,
             {{"started", "#ff7f0e", column(series, [](auto& p) { return p.games_started; })},
              {"completed", "#2ca02c", column(series, [](auto& p) { return p.games_completed; })}})
      << "<h2>Summary</h2>\n<pre>" << escape(summary_table(stats, verdicts, elapsed_s))
      << "</pre>\n</body></html>\n";
  return out.str();
}

}  // namespace roomctl::loadgen
