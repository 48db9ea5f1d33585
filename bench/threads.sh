#!/usr/bin/env bash
# One core versus two: the fan-out workload of bench/fanout_table.sh (default SQLite store) at
# server.threads=1 pinned to core 0, and at server.threads=2 unpinned (both cores), at each offered
# load. The load generator stays pinned to core 1, so in the 2-thread rows it shares a core with
# one server thread on this 2-core machine: read "delivered" together with the server's CPU and
# the CPU per delivery, which show whether a second thread adds capacity or only locking.
# Usage: bench/threads.sh [loads...]   (deliveries/s; default 70000 140000 210000)
#   env: ROOMS (100), STORE (sqlite; or memory), DURATION (12), ROOMCTL, LOADGEN
source "$(dirname "$0")/common.sh"
source "$ROOT/bench/fanout_lib.sh"
ROOMS=${ROOMS:-100}
STORE=${STORE:-sqlite}
LOADS=("$@")
[ ${#LOADS[@]} -gt 0 ] || LOADS=(70000 140000 210000)

echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; $(nproc) cores"
echo
echo "$FANOUT_HEADER"
for load in "${LOADS[@]}"; do
  rate=$(awk -v l="$load" -v r="$ROOMS" 'BEGIN {printf "%g", l / (r * 7)}')
  SERVER_CPU=0 fanout_step "threads=1, core 0" "$STORE" "$ROOMS" "$rate" --set server.threads=1
  SERVER_CPU=- fanout_step "threads=2, both cores" "$STORE" "$ROOMS" "$rate" --set server.threads=2
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared: compare rows of one run)"
python3 - "$ROWS_TSV" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, offered, delivered, p99, per_m, core, lg = line.rstrip("\n").split("\t")
    rows.setdefault(int(offered), {})[label.split(",")[0]] = (int(delivered), float(p99), float(per_m))
print("\n| offered deliveries/s | delivered 2 threads / 1 thread | CPU per delivery 2 threads / 1 thread |")
print("|---|---|---|")
for off in sorted(rows):
    one, two = rows[off].get("threads=1"), rows[off].get("threads=2")
    if one and two and one[0] and one[2]:
        print(f"| {off:,} | {two[0] / one[0]:.2f} | {two[2] / one[2]:.2f} |")
PY
