#!/usr/bin/env bash
# Memory: the idle server's RSS and RSS per idle identified connection at 1k, 5k and 19k
# connections, for roomctl and for the Node.js baseline (bench/baseline) side by side; then a heap
# profile: roomctl under heaptrack holding HEAP_CONNS idle connections, killed in that steady
# state so the heap still live at the end is exactly what the connections hold, charged to the
# roomctl frame that allocated it (bench/heap_sites.py). With --all also: per room with one
# member (lobby), per 6-player spy room with a game running, per skribble room at the stroke-log
# limit, and server CPU per 1,000 relayed drawing messages.
# Usage: bench/memory.sh [--all | --heap-only]   (markdown tables; env CONNS="1000 5000 19000", HEAP_CONNS=1000)
source "$(dirname "$0")/common.sh"
ALL=${1:-}
CONNS=${CONNS:-1000 5000 19000}
HEAP_CONNS=${HEAP_CONNS:-1000}
OUT_DIR=${OUT_DIR:-$ROOT/bench/out}
mkdir -p "$OUT_DIR"

settle() { sleep "${1:-4}"; }  # > 3 s: the sweeper trims malloc every 30 ticks of 100 ms

# start KIND NAME: a roomctl server (memory store) or the Node baseline, unpinned.
start() {
  if [ "$1" = node ]; then start_node "$2" -; else start_server "$2" - --set store.url=memory:// --set presence.flush_interval=250ms; fi
}

declare -A IDLE ROW
[ "$ALL" = --heap-only ] && CONNS="" KINDS="" || KINDS="roomctl node"
for kind in $KINDS; do
  start "$kind" "idle-$kind"; settle; IDLE[$kind]=$(rss_kb "$SERVER_PID"); stop_server
  for n in $CONNS; do
    start "$kind" "conn$n-$kind"
    settle 1; base=$(rss_kb "$SERVER_PID")
    # In waves of 1,000 (as bench/presence.sh): thousands of upgrades at once time out.
    clients --mode presence --count "$n" --wave 1000 --rooms 0 --hold 600 --prefix "c$n$kind"
    settle 3; rss=$(rss_kb "$SERVER_PID")
    ROW[$kind,$n]="$((rss / 1024)) MiB; $(( (rss - base) * 1024 / n )) bytes per connection"
    kill "$CLIENT_PID"; stop_server
  done
done
[ -n "$KINDS" ] && echo "| measurement | roomctl | node + ws baseline |
|---|---|---|
| idle server RSS | $((IDLE[roomctl] / 1024)) MiB (${IDLE[roomctl]} kB) | $((IDLE[node] / 1024)) MiB (${IDLE[node]} kB) |"
for n in $CONNS; do echo "| RSS with $n idle connections | ${ROW[roomctl,$n]} | ${ROW[node,$n]} |"; done

# The heap profile. SIGKILL, not SIGTERM: a clean shutdown would free the sessions first.
echo
echo "Heap of roomctl holding $HEAP_CONNS idle connections (heaptrack, live heap when killed):"
echo
HT="$OUT_DIR/heaptrack-idle-$HEAP_CONNS"
rm -f "$HT".*
SERVER_WRAP="heaptrack -o $HT" start_server heap - --set store.url=memory:// --set presence.flush_interval=250ms
clients --mode idle --count "$HEAP_CONNS" --hold 600 --prefix heap
settle 3
kill -KILL "$(pgrep -P "$SERVER_PID" -f "serve --set server.listen=127.0.0.1:$PORT ")"
wait "$SERVER_PID" 2>/dev/null || true; kill "$CLIENT_PID"
heaptrack_print -f "$HT.zst" --print-peaks 0 --print-allocators 0 --print-temporary 0 \
  --flamegraph-cost-type leaked -F "$HT.stacks" > "$HT.txt" 2>&1
python3 "$ROOT/bench/heap_sites.py" "$HT.stacks" "$HEAP_CONNS" 15

[ "$ALL" = --all ] || exit 0
echo
echo "| measurement | value |"
echo "|---|---|"
start_server rooms - --set store.url=memory://
clients --mode idle --count 1000 --hold 600 --prefix base1
settle; a=$(rss_kb "$SERVER_PID"); kill "$CLIENT_PID"; stop_server
start_server rooms - --set store.url=memory://
clients --mode lobby-rooms --rooms 1000 --hold 600 --prefix lr
settle; b=$(rss_kb "$SERVER_PID")
echo "| per room with one member (lobby), beyond its connection | $(( (b - a) * 1024 / 1000 )) bytes |"
kill "$CLIENT_PID"; stop_server

start_server spyb - --set store.url=memory://
clients --mode idle --count 3000 --hold 600 --prefix base6
settle; a=$(rss_kb "$SERVER_PID"); kill "$CLIENT_PID"; stop_server
start_server spy - --set store.url=memory:// --set games.time_scale=10
clients --mode spy-rooms --rooms 500 --players 6 --hold 600 --prefix sr
settle 4; b=$(rss_kb "$SERVER_PID")
echo "| per 6-player spy room with a game running, beyond its 6 connections | $(( (b - a) * 1024 / 500 )) bytes |"
kill "$CLIENT_PID"; stop_server

ROOMS=20; EVENTS=20000; PLAYERS=8
FLOOD=(--set games.skribble.draw_messages_per_second=100000 --set games.skribble.draw_burst=1000000
  --set limits.messages_per_second=1000000 --set limits.message_burst=1000000
  --set limits.send_queue_max_messages=1000000 --set limits.send_queue_max_bytes=4GiB)
start_server strb - --set store.url=memory://
clients --mode idle --count $((ROOMS * PLAYERS)) --hold 600 --prefix base8
settle; a=$(rss_kb "$SERVER_PID"); kill "$CLIENT_PID"; stop_server

# CPU of the relay itself: memory store (no disk), one turn long enough for every message.
start_server strokes - --set store.url=memory:// "${FLOOD[@]}"
c0=$(cpu_ticks "$SERVER_PID")
clients --mode stroke-rooms --rooms $ROOMS --players $PLAYERS --events $EVENTS --hold 600 --prefix st
wait_quiet
c1=$(cpu_ticks "$SERVER_PID")
msgs=$((ROOMS * EVENTS)); tps=$(ticks_per_s)
relayed=$(curl -s "http://127.0.0.1:$ADMIN/metrics" | awk '/^roomctl_fanout_deliveries_total/ {print $2}')
awk -v t=$((c1 - c0)) -v tps="$tps" -v m=$msgs -v d="$relayed" 'BEGIN {
  printf "| server CPU per 1,000 relayed drawing messages (8-player rooms: each to 7 members) | %.1f ms (%d messages, %d deliveries, %.1f s CPU, store memory) |\n", t / tps * 1000 / m * 1000, m, d, t / tps }'
kill "$CLIENT_PID"; stop_server

# Memory at the stroke-log limit with the default durable store (snapshots on disk, not in RAM).
start_server strokes2 - --set store.url="sqlite://$WORK/m.db" "${FLOOD[@]}"
clients --mode stroke-rooms --rooms $ROOMS --players $PLAYERS --events $EVENTS --hold 600 --prefix st2
wait_quiet; settle; b=$(rss_kb "$SERVER_PID")
hits=$(curl -s "http://127.0.0.1:$ADMIN/metrics" | awk '/^roomctl_refusals_total\{limit="stroke_log"\}/ {print $2}')
echo "| per skribble room at the stroke-log limit (2 MiB of drawing), beyond its 8 connections | $(( (b - a) / ROOMS / 1024 )) MiB (limit reached in ${hits:-0} of $ROOMS rooms, store sqlite) |"
kill "$CLIENT_PID"; stop_server
