#!/usr/bin/env bash
# Where the server's CPU goes per delivery under the fan-out load: one step of bench/fanout_table.sh
# (server pinned to core 0, one thread, the load generator on core 1) with `perf record -e cpu-clock
# -g -p PID` over the steady window, then `perf report --no-children --sort symbol`: each symbol's
# share of the samples times the step's CPU seconds per delivery gives nanoseconds of CPU per
# delivery by function (x 2.6 for cycles at this VM's 2.6 GHz; cpu-clock because the VM exposes
# no hardware counters).
# Usage: bench/perf_fanout.sh [load (deliveries/s, 28000)] [store: sqlite|memory|node (sqlite)] [top N (30)]
#   env: ROOMS (100), DURATION (12), ROOMCTL, LOADGEN; perf.data is kept in bench/out/
source "$(dirname "$0")/common.sh"
source "$ROOT/bench/fanout_lib.sh"
LOAD=${1:-28000}
KIND=${2:-sqlite}
TOP=${3:-30}
ROOMS=${ROOMS:-100}
PERF_DATA="$OUT_DIR/perf-fanout-$KIND-$LOAD.data"

record() { perf record -e cpu-clock -g -p "$SERVER_PID" -o "$PERF_DATA" -- sleep "$1" > "$WORK/perf.log" 2>&1 & }
rate=$(awk -v l="$LOAD" -v r="$ROOMS" 'BEGIN {printf "%g", l / (r * 7)}')
echo "$FANOUT_HEADER"
DURING_STEADY=record fanout_step "$KIND under perf" "$KIND" "$ROOMS" "$rate"
wait  # the perf record
us_per_delivery=$(tail -1 "$ROWS_TSV" | cut -f5)  # CPU s per million deliveries = us per delivery

echo
echo "| share of server CPU | ns of CPU per delivery | symbol |"
echo "|---|---|---|"
perf report -i "$PERF_DATA" --no-children --sort symbol --stdio -g none 2>/dev/null > "$WORK/report.txt"
awk -v us="$us_per_delivery" -v top="$TOP" '
  /^ *[0-9.]+%/ {
    pct = $1; sub("%", "", pct); $1 = "";
    sym = substr($0, 2); sub(/( +-)+ *$/, "", sym); gsub(/\|/, "\\|", sym)
    if (sym ~ /^\[k\]/) kernel += pct; else user += pct
    if (length(sym) > 110) sym = substr(sym, 1, 107) "..."
    if (n++ < top) printf "| %.2f %% | %.0f | `%s` |\n", pct, pct / 100 * us * 1000, sym }
  END { printf "\nkernel ([k]) %.0f %% of the samples, user space %.0f %%; %.1f us of server CPU per delivery in all\n", kernel, user, us }' "$WORK/report.txt"
