#!/usr/bin/env bash
# Hand-over time (the failover issue's "Measured"): a node holding N rooms gets SIGTERM and hands
# every room over to the live nodes. For each N: a fresh Redis and 3 fresh nodes (servers pinned
# to core 0); bench_clients (core 1, --mode held-rooms) sets up N spy lobbies of two players, the
# creator on node A (so A owns the room) and the other player on B or C; then SIGTERM to A. Read:
# A's log line `rooms_handed_over rooms=N moved=M kept=K ms=T` (SIGTERM -> the last room moved,
# its snapshot written first), A's roomctl_cluster_handover_seconds (pausing -> last moved), the
# time from A's shutdown_started to the last cluster_room_adopted on B or C (the nodes' log
# stamps), the rooms B and C run after A is gone (roomctl_rooms), the owner records in Redis still
# naming A, and how A exited.
# Usage: bench/handover.sh [room counts...]   (default 1 10 100 1000)
#   env: ROOMCTL, BENCH_CLIENTS, OUT_DIR (the log of a node that failed its shutdown)
source "$(dirname "$0")/common.sh"
source "$ROOT/bench/cluster_lib.sh"
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(1 10 100 1000)
cmake --build "$ROOT/build" --target roomctl bench_clients >/dev/null
OUT_DIR=${OUT_DIR:-$ROOT/bench/out}
mkdir -p "$OUT_DIR"

rooms_on() {  # every roomctl_rooms{game,phase} series of one node, summed
  curl -sf -m 2 "http://127.0.0.1:$1/metrics" | awk '/^roomctl_rooms\{/ {s += $2} END {print s + 0}'
}
owned_by() {  # owner records in Redis naming node $1
  redis-cli -p "$REDIS_PORT" eval "local n = 0
    for _, k in ipairs(redis.call('KEYS', 'roomctl:owner:*')) do
      if redis.call('HGET', k, 'node') == ARGV[1] then n = n + 1 end
    end
    return n" 0 "$1"
}

echo "roomctl: $("$ROOMCTL" --version 2>/dev/null | head -1); $(nproc) cores;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo
echo "| rooms on A (gauge) | log: rooms / moved / kept | log ms (SIGTERM -> last moved) | ms per room |" \
  "handover_seconds | SIGTERM -> last adopted on B/C | rooms on B+C after | owner records naming A after | A exit (after SIGTERM) |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in "${COUNTS[@]}"; do
  start_redis 0
  start_cluster 3 0
  CLIENT_CPU=1 PORT=${NODE_PORTS[0]} clients --mode held-rooms --rooms "$n" --players 2 \
    --join-ports "${NODE_PORTS[1]},${NODE_PORTS[2]}" --inflight 32 --sources 20 --hold 120 \
    --prefix "h$n"
  sleep 0.3  # the rooms gauge follows the sweeper (rooms.sweep_interval=100ms)
  on_a=$(rooms_on "${NODE_ADMINS[0]}")
  a_pid=${NODE_PIDS[0]} a_admin=${NODE_ADMINS[0]}
  t0=$(date +%s%N)
  kill -TERM "$a_pid"
  hsum="" hcount=""
  for _ in $(seq 1200); do  # 60 s at most: A's log line and every room adopted on B or C
    if [ -z "$hsum" ] && grep -q rooms_handed_over "$WORK/n0.log"; then
      # A still answers while it closes its players over cluster.drain_spread.
      page=$(curl -sf -m 1 "http://127.0.0.1:$a_admin/metrics" || true)
      hsum=$(awk '$1 == "roomctl_cluster_handover_seconds_sum" {print $2}' <<< "$page")
      hcount=$(awk '$1 == "roomctl_cluster_handover_seconds_count" {print $2}' <<< "$page")
      hsum=${hsum:--}
    fi
    adopted=$(cat "$WORK/n1.log" "$WORK/n2.log" | grep -c cluster_room_adopted || true)
    [ -n "$hsum" ] && [ "$adopted" -ge "$n" ] && break
    sleep 0.05
  done
  exit_ms="still running after 30 s"
  for _ in $(seq 300); do
    kill -0 "$a_pid" 2>/dev/null || { exit_ms="$(( ($(date +%s%N) - t0) / 1000000 )) ms"; break; }
    sleep 0.1
  done
  status=0
  wait "$a_pid" 2>/dev/null || status=$?
  if [ "$status" != 0 ]; then  # a node that fails its shutdown: its log is kept
    exit_ms+=", exit status $status"
    [ "$status" -gt 128 ] && exit_ms+=" ($(kill -l $((status - 128))))"
    cp "$WORK/n0.log" "$OUT_DIR/handover-$n-n0.log"
    exit_ms+=", log in $(basename "$OUT_DIR")/handover-$n-n0.log"
  fi
  sleep 0.3
  elsewhere=$(( $(rooms_on "${NODE_ADMINS[1]}") + $(rooms_on "${NODE_ADMINS[2]}") ))
  left=$(owned_by n0)
  # Times from the nodes' own log stamps (one clock): A's shutdown_started to the last
  # cluster_room_adopted on B or C.
  python3 - "$n" "$on_a" "${hsum:-}" "${hcount:-}" "$elsewhere" "$left" "$exit_ms" \
    "$WORK/n0.log" "$WORK/n1.log" "$WORK/n2.log" <<'PY'
import datetime, re, sys
n, on_a, hsum, hcount, elsewhere, left, exit_ms, a_log, *others = sys.argv[1:]
stamp = lambda l: datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
a = open(a_log).read().splitlines()
start = next((stamp(l) for l in a if " shutdown_started " in l), None)
line = next((l for l in a if " rooms_handed_over " in l), "")
f = dict(re.findall(r"(\w+)=(\S+)", line))
adopted = [stamp(l) for o in others for l in open(o) if " cluster_room_adopted " in l]
ms = float(f["ms"]) if "ms" in f else None
log = f"{f.get('rooms', '?')} / {f.get('moved', '?')} / {f.get('kept', '?')}" if line else "NO LOG LINE"
per = f"{ms / int(n):.2f}" if ms is not None else "–"
hs = f"{float(hsum) * 1e3:.2f} ms ({hcount} drain)" if hsum not in ("", "-") else "–"
if start and adopted:
    last = (max(adopted) - start).total_seconds() * 1e3
    all_s = f"{last:.0f} ms ({len(adopted)} adopted)"
else:
    all_s = f"{len(adopted)} adopted"
ms_s = f"{ms:.0f}" if ms is not None else "–"
print(f"| {on_a} | {log} | {ms_s} | {per} | {hs} | {all_s} | {elsewhere} | {left} | {exit_ms} |")
PY
  kill "$CLIENT_PID" 2>/dev/null || true; wait "$CLIENT_PID" 2>/dev/null || true
  NODE_PIDS=("${NODE_PIDS[@]:1}"); NODE_ADMINS=("${NODE_ADMINS[@]:1}")
  stop_cluster
  kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
