#!/usr/bin/env bash
# The fan-out table of the server fan-out issue, in one run: for roomctl with the default SQLite
# store, roomctl with memory:// and the Node.js baseline (bench/baseline), offered loads rising
# to saturation. Each step (~20 s): a fresh server pinned to core 0 (server.threads=1), the load
# generator (`roomctl loadtest`, profiles/loadtest/fanout.yaml, one worker) pinned to core 1,
# ROOMS 8-player skribble rooms whose drawer draws at load / (ROOMS x 7) messages/s. A server
# stops rising one step after its first saturated step (delivered < 90 % of offered, or p99 > 1 s),
# so the table shows whether throughput holds past saturation. The load generator's own CPU is in
# every row: a row marked LOAD GENERATOR BOUND measured the client, not the server.
# Then the store cost (SQLite vs memory CPU per delivery at each load) and a ratio to Node.
# Usage: bench/fanout_table.sh [loads...]   (deliveries/s; default 14000 28000 70000 98000 140000 210000 280000)
#   env: ROOMS (100), SERVERS ("sqlite memory node"), DURATION (12), ROOMCTL, LOADGEN
source "$(dirname "$0")/common.sh"
source "$ROOT/bench/fanout_lib.sh"
ROOMS=${ROOMS:-100}
SERVERS=${SERVERS:-sqlite memory node}
LOADS=("$@")
[ ${#LOADS[@]} -gt 0 ] || LOADS=(14000 28000 70000 98000 140000 210000 280000)

echo "roomctl: $("$ROOMCTL" --version 2>/dev/null | head -1 || echo "$ROOMCTL"); node $(node --version);" \
  "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo
echo "$FANOUT_HEADER"
# Load by load, the three servers one after the other: the machine's noise of the moment hits all
# three alike, so the ratios of one load's rows hold even when the absolute numbers move.
declare -A over
for load in "${LOADS[@]}"; do
  rate=$(awk -v l="$load" -v r="$ROOMS" 'BEGIN {printf "%g", l / (r * 7)}')
  for kind in $SERVERS; do
    [ "${over[$kind]:-0}" -ge 2 ] && continue
    case $kind in sqlite) label="roomctl (sqlite)" ;; memory) label="roomctl (memory)" ;; node) label="node + ws" ;; esac
    fanout_step "$label" "$kind" "$ROOMS" "$rate"
    if saturated; then over[$kind]=$((${over[$kind]:-0} + 1)); fi
  done
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared: compare rows of one run)"

# Summaries from the rows: store cost and the ratio to the Node baseline at each offered load.
python3 - "$ROWS_TSV" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, offered, delivered, p99, per_m, core, lg = line.rstrip("\n").split("\t")
    rows.setdefault(int(offered), {})[label] = (int(delivered), float(p99), float(per_m))
print("\n| offered deliveries/s | SQLite CPU per delivery / memory | Node CPU per delivery / roomctl (sqlite) | p99 Node / roomctl (sqlite) |")
print("|---|---|---|---|")
for off in sorted(rows):
    r = rows[off]
    s, m, n = r.get("roomctl (sqlite)"), r.get("roomctl (memory)"), r.get("node + ws")
    cost = f"{s[2] / m[2]:.2f}" if s and m and m[2] else "–"
    cpu = f"{n[2] / s[2]:.2f}" if s and n and s[2] else "–"
    lat = f"{n[1] / s[1]:.2f}" if s and n and s[1] else "–"
    print(f"| {off:,} | {cost} | {cpu} | {lat} |")
def best(label):  # the highest delivered rate whose p99 held 10 ms
    ok = [r[label][0] for r in rows.values() if label in r and r[label][1] <= 0.010]
    return max(ok) if ok else 0
b = {l: best(l) for l in ("roomctl (sqlite)", "roomctl (memory)", "node + ws")}
print("\nhighest delivered/s at fan-out p99 <= 10 ms: " + ", ".join(f"{l} {v:,}" for l, v in b.items()))
if b["roomctl (sqlite)"] and b["roomctl (memory)"]:
    print(f"durable store cost at that SLO: {1 - b['roomctl (sqlite)'] / b['roomctl (memory)']:.1%} of memory's throughput")
PY
