#!/usr/bin/env bash
# Maximum sustained fan-out for 8-player skribble rooms at fan-out p99 < 10 ms, found by the load
# generator's own capacity search: roomctl serve (default SQLite store, one thread) pinned to
# core 0, roomctl loadtest (profiles/loadtest/fanout.yaml: the real drawer draws on a fixed
# schedule, nobody guesses, long turns) pinned to core 1; rooms double until a step misses its
# SLOs, then the gap is bisected. Prints the table of steps and the capacity.
# Usage: bench/fanout.sh [start rooms] [max steps] [extra serve --set ...]
source "$(dirname "$0")/common.sh"
START=${1:-10}
STEPS=${2:-8}
shift $(($# < 2 ? $# : 2))
EXTRA=()
for s in "$@"; do EXTRA+=(--set "$s"); done

start_server fan 0 --set games.time_scale=0.2 --set limits.messages_per_second=1000 \
  --set store.url="sqlite://$WORK/fan.db" "${EXTRA[@]}"
taskset -c 1 "$ROOMCTL" loadtest --profile "$ROOT/profiles/loadtest/fanout.yaml" \
  --set target=ws://127.0.0.1:$PORT/ --set rooms="$START" --set source_addresses=50 \
  --search rooms --slo 'fanout_latency.p99<10ms' --slo 'errors.rate<0.001' \
  --slo 'invariant_violations.count<1' --max-steps "$STEPS" \
  --server-admin "http://127.0.0.1:$ADMIN" 2>"$WORK/fan.err" || true
stop_server
