# Helpers for the benchmark scripts: start a server on free ports, read its RSS and CPU time.
# Source it; it expects ROOMCTL (the binary) and BENCH_CLIENTS to be set or found in build/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOMCTL=${ROOMCTL:-$ROOT/build/roomctl}
BENCH_CLIENTS=${BENCH_CLIENTS:-$ROOT/build/bench_clients}
WORK=$(mktemp -d /tmp/roomctl-bench-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server NAME [taskset-cpu|-] [--set ...]...: sets SERVER_PID, PORT, ADMIN
start_server() {
  local name=$1 cpu=$2; shift 2
  PORT=$(free_port); ADMIN=$(free_port)
  local pin=()
  [ "$cpu" != "-" ] && pin=(taskset -c "$cpu")
  "${pin[@]}" "$ROOMCTL" serve --set server.listen=127.0.0.1:$PORT --set admin.listen=127.0.0.1:$ADMIN \
    --set server.threads=1 --set limits.max_connections=20000 --set rooms.sweep_interval=100ms "$@" > "$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$ADMIN/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "server $name did not start" >&2; cat "$WORK/$name.log" >&2; return 1
}

stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }

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
