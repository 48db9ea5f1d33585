#!/usr/bin/env bash
# The cluster foundation's costs against a real redis-server on a free loopback port: fenced
# snapshot writes next to the store's unfenced ones (with Redis's CPU), claims and reservations
# per second, and bus batching (messages per delivered frame, codec CPU per frame).
# Usage: bench/cluster.sh   (needs redis-server; prints markdown tables)
source "$(dirname "$0")/common.sh"
cmake --build "$ROOT/build" --target cluster_bench >/dev/null
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no > "$WORK/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$ROOT/build/cluster_bench" "$REDIS_PORT" "$REDIS_PID"
