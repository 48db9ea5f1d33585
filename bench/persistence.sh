#!/usr/bin/env bash
# The cost of persistence: one fixed stroke-heavy workload (skribble rooms, every drawing
# message changes the room and its stroke log) against store memory, sqlite and redis in one run;
# throughput = relayed drawing messages per second of server CPU (the server pinned to one core).
# Then the restore time of 10,000 stored rooms from sqlite and from redis.
# Usage: bench/persistence.sh   (needs redis-server; prints a markdown table)
source "$(dirname "$0")/common.sh"

ROOMS=20; EVENTS=5000; PLAYERS=8
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no > "$WORK/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

LIMITS=(--set games.skribble.draw_messages_per_second=100000 --set games.skribble.draw_burst=1000000
  --set limits.messages_per_second=1000000 --set limits.message_burst=1000000
  --set limits.send_queue_max_messages=1000000 --set limits.send_queue_max_bytes=4GiB)

echo "| store | server CPU for $((ROOMS * EVENTS)) drawing messages | messages per CPU second | relative to memory | snapshot writes |"
echo "|---|---|---|---|---|"
base=""
for store in memory:// "sqlite://$WORK/p.db" "redis://127.0.0.1:$REDIS_PORT/0"; do
  start_server persist 0 --set store.url="$store" "${LIMITS[@]}"
  c0=$(cpu_ticks "$SERVER_PID")
  clients --mode stroke-rooms --rooms $ROOMS --players $PLAYERS --events $EVENTS --hold 600 --prefix p$RANDOM
  wait_quiet
  c1=$(cpu_ticks "$SERVER_PID")
  flushes=$(curl -s "http://127.0.0.1:$ADMIN/metrics" | awk '/^roomctl_store_flush_seconds_count/ {print $2}')
  secs=$(awk -v t=$((c1 - c0)) -v tps="$(ticks_per_s)" 'BEGIN {printf "%.2f", t / tps}')
  rate=$(awk -v s="$secs" -v m=$((ROOMS * EVENTS)) 'BEGIN {printf "%.0f", m / s}')
  [ -z "$base" ] && base=$rate
  rel=$(awk -v r="$rate" -v b="$base" 'BEGIN {printf "%.2f", r / b}')
  echo "| ${store%%:*} | ${secs} s | $rate | $rel | ${flushes:-0} batches |"
  kill "$CLIENT_PID"; stop_server
done

echo
echo "| store | rooms restored | restore time |"
echo "|---|---|---|"
for store in "sqlite://$WORK/r.db" "redis://127.0.0.1:$REDIS_PORT/1"; do
  start_server fill - --set store.url="$store"
  clients --mode lobby-rooms --rooms 10000 --hold 600 --prefix r$RANDOM
  sleep 2
  kill "$CLIENT_PID"; stop_server
  start_server restore - --set store.url="$store"
  line=$(grep rooms_restored "$WORK/restore.log")
  n=$(sed -E 's/.*rooms=([0-9]+).*/\1/' <<<"$line"); ms=$(sed -E 's/.* ms=([0-9]+).*/\1/' <<<"$line")
  echo "| ${store%%:*} | $n | $ms ms |"
  stop_server
done
