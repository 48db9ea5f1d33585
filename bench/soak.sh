#!/usr/bin/env bash
# Soak: `roomctl serve` (default SQLite store, a scratch file) under churning load for DURATION
# (default 1h): rooms are created, play games to the end and are replaced, DMs flow online and
# offline, app users come and go. Every INTERVAL it samples the server's RSS, open fds, live room
# and session objects, connections and send-queue bytes; at the end, after the load is gone and
# the reconnect grace and room TTLs passed, it samples once more. A leak shows as a trend in the
# table or as objects left at the end. Usage: bench/soak.sh [DURATION] [INTERVAL]
source "$(dirname "$0")/common.sh"
DURATION=${1:-1h}
INTERVAL=${2:-60}

start_server soak 0 --set games.time_scale=0.05 --set server.reconnect_grace=2s \
  --set rooms.finished_ttl=2s --set store.url="sqlite://$WORK/soak.db" \
  --set limits.messages_per_second=1000 --set limits.message_burst=1000

sample() {
  local m
  m=$(curl -s "http://127.0.0.1:$ADMIN/metrics")
  get() { awk -v k="$1" '$1 == k {print $2}' <<<"$m"; }
  printf '| %s | %s | %.1f | %s | %s | %s | %s | %s | %s |\n' "$1" "$(date -u +%H:%M:%S)" \
    "$(awk -v b="$(get roomctl_process_resident_memory_bytes)" 'BEGIN {print b / 1048576}')" \
    "$(get roomctl_process_open_fds)" "$(get 'roomctl_live_objects{kind="room"}')" \
    "$(get 'roomctl_live_objects{kind="session"}')" "$(get roomctl_connections)" \
    "$(get roomctl_send_queue_bytes)" \
    "$(get 'roomctl_games_finished_total{game="skribble",outcome="completed"}')"
}

echo "| t | time (UTC) | RSS MiB | fds | rooms | sessions | connections | queued bytes | skribble games |"
echo "|---|---|---|---|---|---|---|---|---|"
sample start
taskset -c 1 "$ROOMCTL" loadtest --profile "$ROOT/profiles/loadtest/soak.yaml" \
  --set target="ws://127.0.0.1:$PORT/" --set rooms=24 --set ramp_up=10s --set duration="$DURATION" \
  --set ramp_down=20s --set games_per_room=1000 --set app.users=40 --set app.dm_interval=500ms \
  --set faults.slow_reader_fraction=0 --set metrics.listen=127.0.0.1:0 --set progress_interval=5m \
  --set thresholds.fanout_latency.p99="<10s" --report "$WORK/soak-report.json" \
  > "$WORK/loadtest.log" 2>&1 &
LOAD=$!
PIDS+=("$LOAD")
elapsed=0
while kill -0 "$LOAD" 2>/dev/null; do
  sleep "$INTERVAL"
  elapsed=$((elapsed + INTERVAL))
  kill -0 "$LOAD" 2>/dev/null && sample "${elapsed}s"
done
wait "$LOAD" && rc=0 || rc=$?
sleep 10  # grace and room TTLs pass
sample end
echo
echo "loadtest exit code $rc; its summary (errors by code and invariant violations by name):"
sed -n '/^latency/,$p' "$WORK/loadtest.log"
