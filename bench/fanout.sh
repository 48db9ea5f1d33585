#!/usr/bin/env bash
# Maximum sustained fan-out for 8-player skribble rooms at p99 <= 10 ms: roomctl serve pinned to
# core 0, roomctl loadtest pinned to core 1; the number of rooms doubles until the fan-out p99
# (intended send time to arrival at each other member) passes 10 ms or drawing messages are lost.
# Usage: bench/fanout.sh [max rooms]   (prints a markdown table)
source "$(dirname "$0")/common.sh"
MAX=${1:-640}

echo "| rooms (8 players) | drawing msgs/s offered | deliveries/s | fan-out p50 | fan-out p99 | server CPU | verdict |"
echo "|---|---|---|---|---|---|---|"
rooms=10
best=0
while [ "$rooms" -le "$MAX" ]; do
  start_server fan 0 --set store.url=memory:// --set games.time_scale=0.2 --set limits.messages_per_second=1000
  c0=$(cpu_ticks "$SERVER_PID"); t0=$(date +%s.%N)
  taskset -c 1 "$ROOMCTL" loadtest --profile "$ROOT/profiles/loadtest/smoke.yaml" --set target=ws://127.0.0.1:$PORT/ \
    --set mix.spy=0 --set mix.skribble=1 --set rooms=$rooms --set skribble.players=8 --set skribble.drawtime=240 \
    --set skribble.stroke_rate=20 --set skribble.guess_probability=0 --set skribble.wrong_guesses=0 \
    --set app.users=0 --set ramp_up=2s --set duration=15s --set ramp_down=1s --set games_per_room=1 \
    --set thresholds.games.completed=">=0" --report "$WORK/fan.json" > "$WORK/fan.out" 2>&1 || true
  c1=$(cpu_ticks "$SERVER_PID"); t1=$(date +%s.%N)
  stop_server
  read -r p50 p99 recv offered <<<"$(python3 -c "
import json; r = json.load(open('$WORK/fan.json')); f = r['latencySeconds'].get('fanout_latency', {}); c = r['counters']
e = r['elapsedSeconds']
print(f.get('p50', 0) * 1000, f.get('p99', 0) * 1000, f.get('count', 0) / e, c.get('offered_messages', 0) / e)")"
  cpu=$(awk -v t=$((c1 - c0)) -v tps="$(ticks_per_s)" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" 'BEGIN {printf "%.0f%%", t / tps / w * 100}')
  ok=$(awk -v p="$p99" 'BEGIN {print (p <= 10) ? "ok" : "over"}')
  printf "| %d | %.0f | %.0f | %.2f ms | %.2f ms | %s | %s |\n" "$rooms" "$offered" "$recv" "$p50" "$p99" "$cpu" "$ok"
  [ "$ok" = ok ] || break
  best=$rooms
  rooms=$((rooms * 2))
done
echo
echo "max sustained: $best rooms at p99 <= 10 ms"
