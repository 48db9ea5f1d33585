#!/usr/bin/env python3
"""One row of a fan-out table, from one step of bench/fanout_lib.sh.

Reads the load test's --report JSON (latency quantiles over the whole run, errors) and its
--out per-second points (received drawing frames and the worker's CPU, averaged over the steady
window [t0, t1) that the script measured the server in), plus the server's CPU ticks and
fan-out counter over the same window. Prints a markdown row and appends a TSV line for summaries.
Usage: fanout_row.py LABEL ROOMS RATE REPORT OUT T0 T1 CPU_TICKS TICKS_PER_S SERVER_DELIVERIES TSV
"""
import datetime
import json
import math
import sys

label, rooms, rate, report, out, t0, t1, ticks, tps, sdel, tsv = sys.argv[1:12]
rooms, rate, t0, t1 = int(rooms), float(rate), float(t0), float(t1)
cpu_s = int(ticks) / int(tps)
window = t1 - t0
offered = rooms * rate * 7

r = json.load(open(report))
f = r["latencySeconds"].get("fanout_latency", {})
c = r["counters"]
errors = c.get("errors", 0)
violations = sum(r.get("invariantViolations", {}).values()) if isinstance(r.get("invariantViolations"), dict) else 0

# The --out points are cumulative per metric (several per second): the window's rate is the
# difference between the last points at or before its ends, over the whole seconds between them.
series = {"frames": [], "cpu": [], "sent": []}
names = {"worker_cpu_us": "cpu", "offered_messages": "sent"}
for line in open(out):
    p = json.loads(line)
    t = datetime.datetime.strptime(p["data"]["time"], "%Y-%m-%dT%H:%M:%SZ")
    ts = int(t.replace(tzinfo=datetime.timezone.utc).timestamp())
    if p["metric"] == "fanout_latency" and p["data"].get("tags", {}).get("stat") == "count":
        series["frames"].append((ts, p["data"]["value"]))
    elif p["metric"] in names:
        series[names[p["metric"]]].append((ts, p["data"]["value"]))
lo, hi = math.ceil(t0), math.floor(t1)


# A point's value lags its whole-second stamp by up to a second (snapshots come from the worker),
# so the window's length is taken from the same snapshots: the drawing messages the drawers sent
# over it, at the schedule's ROOMS x RATE per second (the wall-clock length if that is far off,
# e.g. when the load generator could not keep its schedule).
def delta(points):
    at = lambda end: max((v for ts, v in points if ts <= end), default=0.0)
    return at(hi) - at(lo)


wall = max(1, hi - lo)
span = delta(series["sent"]) / (rooms * rate)
if not 0.8 * wall <= span <= 1.25 * wall:
    span = wall
delivered = delta(series["frames"]) / span
lg_core = delta(series["cpu"]) / span / 1e6
server_core = cpu_s / window
server_del = float(sdel) / window if sdel != "-" else None
per_million = server_core / delivered * 1e6 if delivered > 0 else 0  # CPU s per M received


def ms(x):
    return f"{x * 1e3:.2f} ms" if x < 1 else f"{x:.2f} s"


notes = []
if delivered < 0.9 * offered or f.get("p99", 0) > 1:
    notes.append("saturated")
if lg_core > 0.85:
    notes.append("LOAD GENERATOR BOUND")
if errors or violations:
    notes.append(f"{errors} errors, {violations} violations")
print(f"| {label} | {rooms} | {offered:,.0f} | {delivered:,.0f} | {'–' if server_del is None else f'{server_del:,.0f}'} | "
      f"{ms(f.get('p50', 0))} | {ms(f.get('p99', 0))} | {server_core * 100:.0f} % | "
      f"{per_million:.2f} | {lg_core * 100:.0f} % | {'; '.join(notes) or 'ok'} |")
with open(tsv, "a") as t:
    t.write(f"{label}\t{offered:.0f}\t{delivered:.0f}\t{f.get('p99', 0)}\t{per_million:.3f}\t{server_core:.3f}\t{lg_core:.3f}\n")
