#!/usr/bin/env bash
# The cluster foundation's costs against a real redis-server on a free loopback port: fenced
# snapshot writes next to the store's unfenced ones (with Redis's CPU), claims and reservations
# per second, and bus batching (messages per delivered frame, codec CPU per frame).
# Usage: bench/cluster.sh   (needs redis-server; prints markdown tables)
source "$(dirname "$0")/common.sh"
cmake --build "$ROOT/build" --target cluster_bench >/dev/null
start_redis
"$ROOT/build/cluster_bench" "$REDIS_PORT" "$REDIS_PID"
