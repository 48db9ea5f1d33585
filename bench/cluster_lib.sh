# Helpers for the cluster benchmarks (bench/cluster_fanout.sh, failover.sh, handover.sh): N
# `roomctl serve` nodes of one cluster on free loopback ports over the Redis of start_redis.
# Source after common.sh (and fanout_lib.sh, if used).

# start_cluster N CPU [--set ...]...: nodes n0..n{N-1} (logs $WORK/n0.log ...), each with
# cluster.enabled, its node id and store.url=redis://127.0.0.1:$REDIS_PORT/0; returns once every
# node sees all N alive. Sets NODE_PIDS, NODE_PORTS and NODE_ADMINS.
start_cluster() {
  local n=$1 cpu=$2 i a; shift 2
  NODE_PIDS=(); NODE_PORTS=(); NODE_ADMINS=()
  for i in $(seq 0 $((n - 1))); do
    start_server "n$i" "$cpu" --set cluster.enabled=true --set server.node_id="n$i" \
      --set store.url="redis://127.0.0.1:$REDIS_PORT/0" "$@"
    NODE_PIDS+=("$SERVER_PID"); NODE_PORTS+=("$PORT"); NODE_ADMINS+=("$ADMIN")
  done
  for a in "${NODE_ADMINS[@]}"; do
    for _ in $(seq 100); do
      [ "$(ADMIN=$a metric roomctl_cluster_nodes_alive)" = "$n" ] && continue 2
      sleep 0.1
    done
    echo "the cluster did not form (node admin $a)" >&2; cat "$WORK"/n*.log >&2; return 1
  done
}

# stop_cluster: SIGTERM to every node still running, then waits for each (a node that is gone
# already, e.g. killed, is skipped).
stop_cluster() {
  local p
  for p in "${NODE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${NODE_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}

# nodes_metric SAMPLE: the sum of one sample (name with its labels, exactly as /metrics prints
# it) over every node that answers.
nodes_metric() {
  local total=0 v a
  for a in "${NODE_ADMINS[@]}"; do
    v=$(ADMIN=$a metric "$1")
    total=$(awk -v a="$total" -v b="${v:-0}" 'BEGIN {print a + b}')
  done
  echo "$total"
}

# nodes_cpu_ticks: the CPU ticks of every node process, summed.
nodes_cpu_ticks() {
  local total=0 p
  for p in "${NODE_PIDS[@]}"; do total=$((total + $(cpu_ticks "$p"))); done
  echo "$total"
}
