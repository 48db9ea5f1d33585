#!/usr/bin/env bash
# Presence at scale: users brought online in waves of 1,000 until N are online, then 100 spy rooms
# of 8 of them set up at 20 rooms/s offered (a lobby's pace: 16 status changes per 100 ms flush),
# then 10 s held. Per N (1k, 5k, 19k): users/s of the waves,
# rooms/s, presence frames each client received, and server CPU (share of one core) per phase.
# 19k needs two client processes (20,000 open files each): the first brings 10,000 online and
# holds them, the second brings the other 9,000 and sets the rooms up; its numbers are reported.
# Usage: bench/presence.sh [N...]    (default 1000 5000 19000; prints a markdown table)
source "$(dirname "$0")/common.sh"

if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(1000 5000 19000); fi
read -ra EXTRA <<< "${PRESENCE_SET:-}"  # e.g. PRESENCE_SET="--set presence.flush_interval=0ms"
ROOMS=${ROOMS:-100}; PLAYERS=8; HOLD=10; RATE=${RATE:-20}

# wait_line FILE PATTERN: blocks until a line of FILE matches (at most 10 minutes).
wait_line() {
  for _ in $(seq 6000); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  echo "timed out waiting for $2 in $1: $(tail -3 "$1")" >&2; return 1
}
field() { grep "$1" "$2" | tail -1 | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k {print $2}'; }
# share TICKS SECONDS: server CPU seconds of a phase and its share of one core.
share() { awk -v t="$1" -v tps="$(ticks_per_s)" -v s="$2" 'BEGIN {printf "%.1f s (%.0f %%)", t / tps, t / tps / s * 100}'; }

echo "| online | users/s (last wave) | rooms/s | presence frames per user: waves / rooms / hold | presence KB per user | server CPU: waves / rooms / hold (10 s) |"
echo "|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
  start_server p$n 0 --set store.url=memory:// "${EXTRA[@]}"
  first=0
  if [ "$n" -gt 10000 ]; then
    first=10000
    out0="$WORK/first.$n"
    taskset -c 1 "$BENCH_CLIENTS" --port "$PORT" --mode presence --count $first --rooms 0 \
      --hold 3600 --prefix a$n > "$out0" 2>&1 &
    FIRST_PID=$!; PIDS+=("$FIRST_PID")
    wait_line "$out0" READY
  fi
  out="$WORK/second.$n"
  c0=$(cpu_ticks "$SERVER_PID")
  taskset -c 1 "$BENCH_CLIENTS" --port "$PORT" --mode presence --count $((n - first)) \
    --rooms $ROOMS --players $PLAYERS --room-rate $RATE --inflight 100 --hold $HOLD --prefix b$n > "$out" 2>&1 &
  CLIENT_PID=$!; PIDS+=("$CLIENT_PID")
  wait_line "$out" "^PHASE waves"; c1=$(cpu_ticks "$SERVER_PID")
  wait_line "$out" "^PHASE rooms"; c2=$(cpu_ticks "$SERVER_PID")
  wait_line "$out" "^PHASE hold"; c3=$(cpu_ticks "$SERVER_PID")
  last=$(grep '^WAVE' "$out" | tail -1 | tr ' ' '\n' | awk -F= '$1 == "users_per_s" {print $2}')
  rps=$(field '^ROOMS' "$out" rooms_per_s)
  f() { field "^PHASE $1" "$out" "$2"; }
  kb() { awk -v b="$1" 'BEGIN {printf "%.0f", b / 1024}'; }
  echo "| $n | $last | $rps | $(f waves presence_frames_per_user) / $(f rooms presence_frames_per_user) / $(f hold presence_frames_per_user) | $(kb "$(f waves presence_bytes_per_user)") / $(kb "$(f rooms presence_bytes_per_user)") / $(kb "$(f hold presence_bytes_per_user)") | $(share $((c1 - c0)) "$(f waves seconds)") / $(share $((c2 - c1)) "$(f rooms seconds)") / $(share $((c3 - c2)) "$(f hold seconds)") |"
  [ -n "${KEEP_LOGS:-}" ] && cp "$out" "$KEEP_LOGS.$n"
  kill "$CLIENT_PID" 2>/dev/null || true
  [ "$first" -gt 0 ] && kill "$FIRST_PID"
  stop_server
done
