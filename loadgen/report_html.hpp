// `roomctl loadtest --report FILE.html`: one self-contained page (inline CSS and SVG, no script,
// no font, nothing fetched) with the summary, the thresholds and their verdicts, and charts over
// time, so a run can be attached to a ticket or opened offline. The per-second series are
// recorded from the coordinator's merged snapshots (OnMerged, about once a second).
#pragma once

#include <string>
#include <vector>

#include "loadgen/report.hpp"
#include "loadgen/stats.hpp"

namespace roomctl::loadgen {

// One second of a run, as rates over the interval since the previous snapshot.
struct SeriesPoint {
  double t = 0;                                   // seconds since the start
  double offered = 0, sent = 0, received = 0;     // messages per second
  double errors = 0;                              // errors per second
  double connections = 0, disconnects = 0;        // opened and lost, totals so far
  double games_started = 0, games_completed = 0;  // totals so far
  double fanout_p50_ms = 0, fanout_p99_ms = 0;    // of this interval's samples (0 when none)
};

class SeriesRecorder {
 public:
  // Called with the cumulative merged stats; keeps the previous snapshot to take differences.
  void add(const Stats& cumulative, double elapsed_s);
  const std::vector<SeriesPoint>& points() const { return points_; }

 private:
  Stats previous_;
  double previous_t_ = 0;
  std::vector<SeriesPoint> points_;
};

// True when the report path asks for HTML (ends in .html or .htm).
bool is_html_path(const std::string& path);

struct HtmlRunInfo {
  std::string profile, started_at, ended_at, version;
  bool interrupted = false;
  std::string aborted;
};

std::string html_report(const Stats& stats, const std::vector<Verdict>& verdicts,
                        const std::vector<SeriesPoint>& series, double elapsed_s,
                        const HtmlRunInfo& info);

}  // namespace roomctl::loadgen
