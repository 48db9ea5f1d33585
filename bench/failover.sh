#!/usr/bin/env bash
# Failover time (the failover issue's "Measured"): kill -9 of the owner of a running skribble game,
# KILLS times for each cluster.lease_ttl. Each iteration: a fresh Redis and 3 fresh nodes (servers
# pinned to core 0), then bench/failover_driver (core 1) plays a game whose 4 players sit on the
# three nodes (two on the owner), kills the owner once the snapshot is written, reconnects the
# owner's players to another node at once, and times kill -> game continues (every player got
# its fresh ROOM_STATE, with the same drawer, word and scores; the turn then plays on) and
# reconnect -> game continues. The kill waits until the nodes have held their leases for two
# lease times (WARM=1, the default: a cluster that has been up a while, where a takeover needs
# no grace); WARM=0 kills as soon as the game runs, so a young cluster's takeover grace shows.
# Usage: bench/failover.sh   env: KILLS (10), TTLS ("1500ms 2500ms"), WARM (1), ROOMCTL, OUT_DIR (the
#   nodes' logs of a failed iteration)
source "$(dirname "$0")/common.sh"
source "$ROOT/bench/cluster_lib.sh"
KILLS=${KILLS:-10}
TTLS=${TTLS:-1500ms 2500ms}
WARM=${WARM:-1}
cmake --build "$ROOT/build" --target roomctl failover_driver >/dev/null
DRIVER=$ROOT/build/failover_driver
OUT_DIR=${OUT_DIR:-$ROOT/bench/out}
mkdir -p "$OUT_DIR"

ttl_ms() { case $1 in *ms) echo "${1%ms}" ;; *s) awk -v s="${1%s}" 'BEGIN {print s * 1000}' ;; esac; }
now_ms() { date +%s%3N; }

echo "roomctl: $("$ROOMCTL" --version 2>/dev/null | head -1); $(nproc) cores;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; WARM=$WARM"
echo
echo "| cluster.lease_ttl | kills | ok | kill -> continues p50 | max | reconnect -> continues p50 | max | failures |"
echo "|---|---|---|---|---|---|---|---|"
for ttl in $TTLS; do
  results="$WORK/failover-$ttl.txt"
  : > "$results"
  for i in $(seq "$KILLS"); do
    start_redis 0
    start_cluster 3 0 --set cluster.lease_ttl="$ttl" --set games.time_scale=0.5 \
      --set server.reconnect_grace=20s
    not_before=0
    [ "$WARM" = 1 ] && not_before=$(($(now_ms) + 2 * $(ttl_ms "$ttl") + 200))
    ports=$(IFS=,; echo "${NODE_PORTS[*]}")
    timeout 90 taskset -c 1 "$DRIVER" --ports "$ports" --owner-pid "${NODE_PIDS[0]}" \
      --room "fo$i" --not-before "$not_before" > "$WORK/driver.out" 2>&1 || true
    line=$(grep -m1 FAILOVER "$WORK/driver.out" || echo 'FAILOVER ok=0 why="driver gave no result (timed out?)"')
    echo "$ttl #$i $line" >&2
    echo "$line" >> "$results"
    if [[ $line == *ok=0* ]]; then  # the nodes' logs of a failed iteration are kept
      for f in "$WORK"/n*.log; do cp "$f" "$OUT_DIR/failover-$ttl-$i-$(basename "$f")"; done
    fi
    stop_cluster
    kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true
  done
  python3 - "$ttl" "$results" <<'PY'
import re, statistics, sys
ttl, path = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
ok = [l for l in lines if "ok=1" in l]
k = [int(re.search(r"kill_ms=(\d+)", l).group(1)) for l in ok]
r = [int(re.search(r"reconnect_ms=(\d+)", l).group(1)) for l in ok]
why = "; ".join(sorted({re.search(r'why="([^"]*)"', l).group(1) for l in lines if "ok=0" in l})) or "–"
f = lambda xs, g: f"{g(xs) / 1000:.2f} s" if xs else "–"
print(f"| {ttl} | {len(lines)} | {len(ok)} | {f(k, statistics.median)} | {f(k, max)} | "
      f"{f(r, statistics.median)} | {f(r, max)} | {why} |")
PY
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
