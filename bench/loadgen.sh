#!/usr/bin/env bash
# The load generator's own cost: worker CPU seconds per million received frames on the fan-out
# profile (8-player skribble rooms, strokes on a fixed schedule), with roomctl serve pinned to
# core 0 and the load generator to core 1. CPU per frame is what bounds a worker's capacity, and
# it can be measured even while the server is the slower side.
# Usage: bench/loadgen.sh [rooms] [stroke rate] [workers] [loadgen binaries...]
#   e.g. bench/loadgen.sh 100 40 1 build/roomctl /tmp/roomctl-old   (one row per binary)
source "$(dirname "$0")/common.sh"
ROOMS=${1:-100}
RATE=${2:-40}
WORKERS=${3:-1}
shift $(($# < 3 ? $# : 3))
BINARIES=("$@")
[ ${#BINARIES[@]} -gt 0 ] || BINARIES=("$ROOMCTL")

echo "| load generator | rooms | offered deliveries/s | received frames/s | fan-out p50 | fan-out p99 | CPU s per million frames | frames/s per core |"
echo "|---|---|---|---|---|---|---|---|"
for bin in "${BINARIES[@]}"; do
  start_server lg 0 --set store.url=memory:// --set games.time_scale=0.2 \
    --set limits.messages_per_second=1000 --set games.skribble.draw_messages_per_second=1000
  /usr/bin/time -f "%U %S" -o "$WORK/time" -q taskset -c 1 "$bin" loadtest \
    --profile "$ROOT/profiles/loadtest/fanout.yaml" --workers "$WORKERS" \
    --set target=ws://127.0.0.1:$PORT/ --set rooms="$ROOMS" --set skribble.stroke_rate="$RATE" \
    --set source_addresses=50 --report "$WORK/lg.json" > "$WORK/lg.out" 2>&1 || true
  stop_server
  read -r user sys < <(tail -1 "$WORK/time")
  python3 - "$WORK/lg.json" "$user" "$sys" "$bin" "$ROOMS" "$RATE" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); cpu = float(sys.argv[2]) + float(sys.argv[3])
c = r["counters"]; f = r["latencySeconds"].get("fanout_latency", {}); e = r["elapsedSeconds"]
frames = c.get("messages_received", 0)
print(f"| {sys.argv[4].split('/')[-1]} | {sys.argv[5]} | {int(sys.argv[5]) * float(sys.argv[6]) * 7:.0f} | "
      f"{frames / e:.0f} | {f.get('p50', 0) * 1e3:.2f} ms | {f.get('p99', 0) * 1e3:.2f} ms | "
      f"{cpu / frames * 1e6:.2f} | {frames / cpu:.0f} |")
PY
done
