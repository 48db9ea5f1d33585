#!/usr/bin/env bash
# What the durable store costs (issue 15, "durable store cost"), for one or more roomctl binaries
# in one run (say the previous release and this build: same machine, same noise):
#  1. CPU of persistence per 1,000 relayed strokes: ROOMS skribble rooms of PLAYERS players, each
#     drawer sending EVENTS drawing messages at RATE per second (a turn being drawn, the stroke
#     log growing to EVENTS entries); server CPU from the moment every room draws until every
#     stroke was relayed, store memory:// against sqlite. The server is pinned to core 0, the
#     clients to core 1. Goal: sqlite within 5 % of memory.
#  2. Restore time of 10,000 stored rooms from sqlite, half of them skribble rooms drawing with a
#     stroke log of LOG_EVENTS messages (the rest spy lobbies). Goal: <= 1 s.
# Usage: bench/store_cost.sh [ROOMCTL_BINARY...]   (default: build/roomctl; prints markdown)
#        PARTS=cpu or PARTS=restore runs one part only.
source "$(dirname "$0")/common.sh"

ROOMS=${ROOMS:-40}; PLAYERS=${PLAYERS:-8}; EVENTS=${EVENTS:-1200}; RATE=${RATE:-40}
REPEAT=${REPEAT:-2}; RESTORE_ROOMS=${RESTORE_ROOMS:-10000}; LOG_EVENTS=${LOG_EVENTS:-100}
PARTS=${PARTS:-cpu,restore}
BINARIES=("$@")
[ ${#BINARIES[@]} -eq 0 ] && BINARIES=("$ROOMCTL")

LIMITS=(--set games.skribble.draw_messages_per_second=100000 --set games.skribble.draw_burst=1000000
  --set limits.messages_per_second=1000000 --set limits.message_burst=1000000
  --set limits.send_queue_max_messages=1000000 --set limits.send_queue_max_bytes=4GiB)

metric() { curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
wait_for() {  # wait_for FILE PATTERN SECONDS
  for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  echo "timed out waiting for $2 in $1" >&2; return 1
}

strokes=$((ROOMS * EVENTS))
if [[ $PARTS == *cpu* ]]; then
echo "### CPU per 1,000 relayed strokes ($ROOMS rooms x $PLAYERS players, $EVENTS strokes per room at $RATE/s)"
echo
echo "| binary | run | store | server CPU | CPU per 1,000 strokes | persistence cost (sqlite - memory) | bytes written: snapshots / strokes |"
echo "|---|---|---|---|---|---|---|"
for bin in "${BINARIES[@]}"; do
  ROOMCTL=$bin
  for run in $(seq "$REPEAT"); do
    base=""
    for store in memory:// "sqlite://$WORK/c$run-$RANDOM.db"; do
      start_server cost 0 --set store.url="$store" "${LIMITS[@]}"
      CLIENT_CPU=1 clients --mode paced-strokes --rooms "$ROOMS" --players "$PLAYERS" \
        --events "$EVENTS" --rate "$RATE" --hold 900 --prefix c$RANDOM
      c0=$(cpu_ticks "$SERVER_PID")
      wait_for "$CLIENT_OUT" DONE $((EVENTS / ${RATE%.*} + 120))
      c1=$(cpu_ticks "$SERVER_PID")
      snap=$(metric 'roomctl_store_written_bytes_total{what="snapshot"}')
      rows=$(metric 'roomctl_store_written_bytes_total{what="strokes"}')
      ms=$(awk -v t=$((c1 - c0)) -v tps="$(ticks_per_s)" -v n=$strokes 'BEGIN {printf "%.1f", t / tps * 1000000 / n}')
      secs=$(awk -v t=$((c1 - c0)) -v tps="$(ticks_per_s)" 'BEGIN {printf "%.2f", t / tps}')
      cost="—"
      if [ -z "$base" ]; then base=$ms; else
        cost=$(awk -v m="$ms" -v b="$base" 'BEGIN {printf "%+.1f ms (%+.1f %%)", m - b, (m - b) / b * 100}')
      fi
      bytes="—"
      [ -n "$snap" ] && bytes=$(awk -v s="$snap" -v r="$rows" 'BEGIN {printf "%.1f MB / %.1f MB", s / 1e6, r / 1e6}')
      echo "| $(basename "$bin") | $run | ${store%%:*} | $secs s | $ms ms | $cost | $bytes |"
      kill "$CLIENT_PID"; stop_server
    done
  done
done

fi

if [[ $PARTS == *restore* ]]; then
echo
echo "### Restore of $RESTORE_ROOMS rooms from sqlite (half skribble, drawing, $LOG_EVENTS strokes each)"
echo
echo "| binary | rooms restored | restore time | database size |"
echo "|---|---|---|---|"
for bin in "${BINARIES[@]}"; do
  ROOMCTL=$bin
  db="$WORK/restore-$RANDOM.db"
  # 15,000 connections at once: more handshakes at a time than the default allows, and presence
  # (every user told of every other: O(N^2)) held back so that it does not swamp the fill.
  start_server fill - --set store.url="sqlite://$db" "${LIMITS[@]}" \
    --set limits.max_pending_handshakes=100000 --set limits.send_queue_total_bytes=4GiB \
    --set presence.flush_interval=10s --set presence.max_changes_per_flush=1 \
    --set presence.full_list_max=1
  CLIENT_READY_SECONDS=900 clients --mode mixed-rooms --rooms "$RESTORE_ROOMS" --events "$LOG_EVENTS" --hold 900 --prefix m$RANDOM
  kill "$CLIENT_PID"; stop_server
  start_server restore - --set store.url="sqlite://$db"
  line=$(grep rooms_restored "$WORK/restore.log")
  n=$(sed -E 's/.*rooms=([0-9]+).*/\1/' <<<"$line"); ms=$(sed -E 's/.* ms=([0-9]+).*/\1/' <<<"$line")
  stop_server
  size=$(du -cm "$db"* | tail -1 | cut -f1)
  echo "| $(basename "$bin") | $n | $ms ms | $size MB |"
done
fi
