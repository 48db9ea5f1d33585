# Helpers for the benchmark scripts: start a server (or a throwaway Redis) on free ports, read
# its RSS and CPU time.
# Source it; it expects ROOMCTL (the binary) and BENCH_CLIENTS to be set or found in build/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOMCTL=${ROOMCTL:-$ROOT/build/roomctl}
BENCH_CLIENTS=${BENCH_CLIENTS:-$ROOT/build/bench_clients}
WORK=$(mktemp -d /tmp/roomctl-bench-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# The machine is shared with builds (run at nice 10 or not at all): servers and load generators run
# at BENCH_NICE (-10 as root) so that a compiler on the same core takes less of what is measured.
# Linux's autogroup scheduling shares CPU between sessions whatever their nice values, so the
# script re-runs itself in a session of its own and gives that session's group the same priority.
BENCH_NICE=${BENCH_NICE:-$([ "$(id -u)" = 0 ] && echo -10 || echo 0)}
PRIO=(nice -n "$BENCH_NICE")
if [ -z "${BENCH_SESSION:-}" ] && [ -e /proc/self/autogroup ] && command -v setsid >/dev/null; then
  rm -rf "$WORK"
  BENCH_SESSION=1 exec setsid --wait bash "$0" "$@"
fi
[ -w /proc/self/autogroup ] && { echo "$BENCH_NICE" > /proc/self/autogroup; } 2>/dev/null || true

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server NAME [taskset-cpu|-] [--set ...]...: sets SERVER_PID, PORT, ADMIN
start_server() {
  local name=$1 cpu=$2; shift 2
  PORT=$(free_port); ADMIN=$(free_port)
  local pin=()
  [ "$cpu" != "-" ] && pin=(taskset -c "$cpu")
  local wrap=()  # SERVER_WRAP="heaptrack -o FILE": run the server under a tool (then SERVER_PID is the tool's)
  [ -n "${SERVER_WRAP:-}" ] && read -ra wrap <<< "$SERVER_WRAP"
  "${PRIO[@]}" "${pin[@]}" "${wrap[@]}" "$ROOMCTL" serve --set server.listen=127.0.0.1:$PORT --set admin.listen=127.0.0.1:$ADMIN \
    --set server.threads=1 --set limits.max_connections=20000 --set rooms.sweep_interval=100ms "$@" > "$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$ADMIN/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "server $name did not start" >&2; cat "$WORK/$name.log" >&2; return 1
}

# start_node NAME [taskset-cpu|-] [time scale]: the Node.js baseline (bench/baseline), with the same
# variables as start_server; its admin port answers /readyz and /metrics like roomctl's.
start_node() {
  local name=$1 cpu=$2 scale=${3:-1}
  local dir="$ROOT/bench/baseline"
  [ -d "$dir/node_modules" ] || (cd "$dir" && npm ci --silent >/dev/null)
  PORT=$(free_port); ADMIN=$(free_port)
  local pin=()
  [ "$cpu" != "-" ] && pin=(taskset -c "$cpu")
  PORT=$PORT ADMIN_PORT=$ADMIN TIME_SCALE=$scale "${PRIO[@]}" "${pin[@]}" node "$dir/server.js" > "$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$ADMIN/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "node baseline $name did not start" >&2; cat "$WORK/$name.log" >&2; return 1
}

# start_redis [taskset-cpu|-]: a throwaway redis-server (no persistence) on a free loopback port;
# sets REDIS_PID and REDIS_PORT.
start_redis() {
  local cpu=${1:--} pin=()
  [ "$cpu" != "-" ] && pin=(taskset -c "$cpu")
  REDIS_PORT=$(free_port)
  "${PRIO[@]}" "${pin[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    > "$WORK/redis-$REDIS_PORT.log" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not start" >&2; cat "$WORK/redis-$REDIS_PORT.log" >&2; return 1
}

stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }

# metric NAME: the value of an unlabelled counter or gauge on the server's /metrics (0 if absent;
# empty if the server did not answer within 2 s, as a saturated single-threaded one may not).
metric() {
  local page
  page=$(curl -sf -m 2 "http://127.0.0.1:$ADMIN/metrics") || return 0
  awk -v m="$1" '$1 == m {v = $2} END {print v + 0}' <<< "$page"
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_s() { getconf CLK_TCK; }

# clients ARGS...: runs bench_clients in the background until it prints READY; sets CLIENT_PID
# and CLIENT_OUT (its output file). CLIENT_CPU=N pins it to core N; CLIENT_READY_SECONDS (120)
# bounds the wait.
clients() {
  local out="$WORK/clients.$RANDOM"
  local pin=()
  [ -n "${CLIENT_CPU:-}" ] && pin=(taskset -c "$CLIENT_CPU")
  CLIENT_OUT=$out
  "${pin[@]}" "$BENCH_CLIENTS" --port "$PORT" "$@" > "$out" 2>&1 &
  CLIENT_PID=$!
  PIDS+=("$CLIENT_PID")
  for _ in $(seq $((${CLIENT_READY_SECONDS:-120} * 10))); do
    grep -q READY "$out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench_clients did not get ready: $(cat "$out")" >&2; return 1
}

# Waits until the server has relayed everything: its fan-out counter stops moving for 2 s.
# (CPU never goes fully quiet while turns run: every SECOND_TIMER tick rewrites the snapshot.)
wait_quiet() {
  local prev=-1 now
  while true; do
    sleep 2
    now=$(curl -s "http://127.0.0.1:$ADMIN/metrics" | awk '/^roomctl_fanout_deliveries_total/ {print $2}')
    [ "$now" = "$prev" ] && break
    prev=$now
  done
}
