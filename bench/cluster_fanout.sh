#!/usr/bin/env bash
# Cross-node fan-out (the cluster issue's "Measured"): 8-player skribble rooms
# (profiles/loadtest/fanout.yaml) whose bots are spread over 3 cluster nodes (`roomctl loadtest
# --set target=ws://A/,ws://B/,ws://C/`, target_spread=bots: each room's bots round robin over the
# nodes, so most of a room's members sit on a node that does not own it), against the same load
# on one node with the same Redis store (store.url=redis://..., no cluster). At each load the two
# run one after the other, so the machine's noise of the moment hits both alike.
# All servers (the nodes and Redis) are pinned to core 0, the load generator to core 1, as in the
# other fan-out scripts; every node runs server.threads=1. Over the steady window it reads the
# nodes' CPU (summed), Redis's CPU (/proc ticks), the nodes' fan-out counters and their bus
# messages sent (roomctl_cluster_bus_messages_total{direction="sent"}).
# Usage: bench/cluster_fanout.sh [loads...]   (deliveries/s offered; default 7000 14000 28000 56000)
#   env: ROOMS (100), NODES (3), DURATION (12), ROOMCTL, LOADGEN, OUT_DIR
source "$(dirname "$0")/common.sh"
source "$ROOT/bench/fanout_lib.sh"
source "$ROOT/bench/cluster_lib.sh"
ROOMS=${ROOMS:-100}
NODES=${NODES:-3}
LOADS=("$@")
[ ${#LOADS[@]} -gt 0 ] || LOADS=(7000 14000 28000 56000)
EXTRA_TSV="$WORK/extra.tsv"

# cluster_step LABEL N ROOMS RATE: N=1 is one plain node on the Redis store, N>1 a cluster.
cluster_step() {
  local label=$1 n=$2 rooms=$3 rate=$4
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  if [ "$n" = 1 ]; then
    start_server single "$SERVER_CPU" "${FANOUT_SETS[@]}" --set store.url="redis://127.0.0.1:$REDIS_PORT/0"
    NODE_PIDS=("$SERVER_PID"); NODE_PORTS=("$PORT"); NODE_ADMINS=("$ADMIN")
  else
    start_cluster "$n" "$SERVER_CPU" "${FANOUT_SETS[@]}"
  fi
  local targets="" tag p
  for p in "${NODE_PORTS[@]}"; do targets+="${targets:+,}ws://127.0.0.1:$p/"; done
  tag=$(step_tag "$label" "$rooms" "$rate")
  start_loadgen "$tag" "$targets" "$rooms" "$rate"
  local lg=$LOADGEN_PID sent='roomctl_cluster_bus_messages_total{direction="sent"}'
  sleep $((RAMP + SETTLE))
  local t0 c0 r0 d0 b0 t1 c1 r1 d1 b1
  t0=$(date +%s.%N); c0=$(nodes_cpu_ticks); r0=$(cpu_ticks "$REDIS_PID")
  d0=$(nodes_metric roomctl_fanout_deliveries_total); b0=$(nodes_metric "$sent")
  sleep_until "$t0" $((DURATION - SETTLE))
  t1=$(date +%s.%N); c1=$(nodes_cpu_ticks); r1=$(cpu_ticks "$REDIS_PID")
  d1=$(nodes_metric roomctl_fanout_deliveries_total); b1=$(nodes_metric "$sent")
  wait "$lg" || true
  stop_cluster
  fanout_row "$tag" "$label" "$rooms" "$rate" "$t0" "$t1" $((c1 - c0)) \
    "$(awk -v a="$d0" -v b="$d1" 'BEGIN {print b - a}')"
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$(awk -v r="$rooms" -v s="$rate" 'BEGIN {printf "%.0f", r * s * 7}')" \
    $((r1 - r0)) "$(awk -v a="$b0" -v b="$b1" 'BEGIN {print b - a}')" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" >> "$EXTRA_TSV"
}

echo "roomctl: $("$ROOMCTL" --version 2>/dev/null | head -1 || echo "$ROOMCTL"); $(nproc) cores;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo
echo "$FANOUT_HEADER"
start_redis "$SERVER_CPU"
for load in "${LOADS[@]}"; do
  rate=$(awk -v l="$load" -v r="$ROOMS" 'BEGIN {printf "%g", l / (r * 7)}')
  cluster_step "one node" 1 "$ROOMS" "$rate"
  cluster_step "$NODES nodes" "$NODES" "$ROOMS" "$rate"
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared: compare rows of one run)"

# Per load: Redis's CPU per 100k deliveries, bus messages per delivered frame, and the cluster
# against one node: throughput per core of node CPU, and the p99 difference, against the goal
# (cross-node p99 <= one node's + 5 ms, and >= 50 % of its throughput per core).
python3 - "$ROWS_TSV" "$EXTRA_TSV" "$(ticks_per_s)" "$NODES nodes" <<'PY'
import sys
rows_tsv, extra_tsv, tps, cl = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = {}
for a, b in zip(open(rows_tsv), open(extra_tsv)):
    label, offered, delivered, p99, per_m, core, lg = a.rstrip("\n").split("\t")
    _, _, rticks, bus, window = b.rstrip("\n").split("\t")
    d = int(delivered)
    frames = d * float(window)
    rows.setdefault(int(offered), {})[label] = dict(
        delivered=d, p99=float(p99), core=float(core),
        redis=(int(rticks) / tps) / frames * 1e5 if frames else 0,
        bus=float(bus) / frames if frames else 0)
print("\n| offered deliveries/s | delivered/s one node / cluster | Redis CPU s per 100k deliveries one node / cluster "
      "| bus messages per delivered frame | throughput per core cluster / one node | p99 cluster - one node | goal |")
print("|---|---|---|---|---|---|---|")
for off in sorted(rows):
    s, c = rows[off].get("one node"), rows[off].get(cl)
    if not s or not c:
        continue
    per_core = lambda r: r["delivered"] / r["core"] if r["core"] else 0
    ratio = per_core(c) / per_core(s) if per_core(s) else 0
    diff = (c["p99"] - s["p99"]) * 1e3
    ok = "met" if diff <= 5 and ratio >= 0.5 else "NOT met"
    print(f"| {off:,} | {s['delivered']:,} / {c['delivered']:,} | {s['redis']:.3f} / {c['redis']:.3f} | "
          f"{c['bus']:.4f} | {ratio:.2f} | {diff:+.2f} ms | {ok} |")
PY
