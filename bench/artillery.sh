#!/usr/bin/env bash
# roomctl loadtest beside Artillery (its WebSocket engine) on one workload: USERS connections each
# binding a userId and sending RATE direct messages per second for SECONDS seconds, each delivered
# by the server to one online user. roomctl serve is pinned to core 0, the load tool to core 1;
# the messages each tool handled are counted by the server (roomctl_messages_in_total + _out_total:
# what the tool sent and what it received), the tool's CPU by time(1), children included.
# Artillery comes from the npm registry: `npm install artillery` in a scratch directory, then
# ARTILLERY=that/node_modules/.bin/artillery bench/artillery.sh [USERS] [RATE] [SECONDS]
source "$(dirname "$0")/common.sh"
USERS=${1:-200}
RATE=${2:-10}
SECS=${3:-20}
ARTILLERY=${ARTILLERY:-artillery}

server_messages() {
  curl -sf "http://127.0.0.1:$ADMIN/metrics" |
    awk '/^roomctl_messages_(in|out)_total/ {s += $2} END {printf "%.0f", s}'
}

# run NAME LATENCY COMMAND: one row of the table; COMMAND (a string: it needs $PORT) runs after
# the server is up.
run() {
  local name=$1 latency=$2 cmd=$3
  start_server "$name" 0 --set store.url=memory:// --set limits.messages_per_second=1000 \
    --set limits.message_burst=1000 --set abuse.dms_per_user=0
  export PORT
  local m0; m0=$(server_messages)
  /usr/bin/time -q -f "%U %S" -o "$WORK/$name.time" taskset -c 1 bash -c "$cmd" \
    > "$WORK/$name.out" 2>&1 || true
  local m1; m1=$(server_messages)
  stop_server
  read -r user sys < <(tail -1 "$WORK/$name.time")
  awk -v n="$name" -v m=$((m1 - m0)) -v u="$user" -v s="$sys" -v lat="$latency" 'BEGIN {
    cpu = u + s
    printf "| %s | %d | %.2f | %.2f | %.0f | %s |\n", n, m, cpu, cpu / m * 1e6, m / cpu, lat }'
}

echo "| load tool | messages (sent + received) | tool CPU s | CPU s per million messages | messages per CPU second | per-message latency |"
echo "|---|---|---|---|---|---|"
THINK=$(awk -v r="$RATE" 'BEGIN {print 1 / r}')
run artillery "not recorded" "cd '$ROOT/bench/artillery' && PORT=\$PORT USERS=$USERS THINK=$THINK \
  COUNT=$((RATE * SECS)) '$ARTILLERY' run --quiet dm-workload.yml"
run "roomctl loadtest" "every message (dm_latency)" "'$ROOMCTL' loadtest \
  --profile '$ROOT/profiles/loadtest/smoke.yaml' --set target=ws://127.0.0.1:\$PORT/ --set rooms=0 \
  --set app.users=$USERS --set app.dm_interval=$((1000 / RATE))ms --set ramp_up=2s \
  --set duration=${SECS}s --set ramp_down=1s --set thresholds.games.completed='>=0'"
