# One fan-out step, shared by bench/fanout_table.sh, bench/threads.sh and bench/perf_fanout.sh:
# a fresh server (roomctl with SQLite, roomctl with memory://, or the Node baseline), then
# `roomctl loadtest --profile profiles/loadtest/fanout.yaml` (8-player skribble rooms, the real
# drawer drawing on a fixed schedule, latency from the intended send time, games with their
# timers) at ROOMS x RATE drawing messages/s (x 7 deliveries). The server's CPU and fan-out counter
# are read over the steady window (after the ramp-up and the first turn's intro); fanout_row.py
# turns the load test's report and per-second points into a table row.
# Source after common.sh. Knobs (environment): SERVER_CPU (0; "-" = unpinned), LOADGEN_CPU (1),
# LOADGEN (the loadtest binary, default $ROOMCTL), DURATION (steady seconds, 12), OUT_DIR (where
# each step's report is kept).
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
LOADGEN=${LOADGEN:-$ROOMCTL}
DURATION=${DURATION:-12}
RAMP=3     # the profile's ramp_up
SETTLE=2   # joins, game start and the 1 s intro of a turn at games.time_scale=0.2
OUT_DIR=${OUT_DIR:-$ROOT/bench/out}
mkdir -p "$OUT_DIR"
ROWS_TSV="$WORK/rows.tsv"
# The relay is what is measured: no per-connection or per-drawer rate limit may drop a stroke
# (the Node baseline has none); slow-consumer limits stay at their defaults.
FANOUT_SETS=(--set games.time_scale=0.2 --set limits.messages_per_second=100000
  --set limits.message_burst=100000 --set games.skribble.draw_messages_per_second=100000
  --set games.skribble.draw_burst=100000)

FANOUT_HEADER="| server | rooms | offered deliveries/s | delivered/s (received) | server-counted/s | fan-out p50 | fan-out p99 | server CPU | CPU s per M deliveries | load generator CPU | notes |
|---|---|---|---|---|---|---|---|---|---|---|"

# start_kind KIND [--set ...]: KIND is sqlite, memory or node.
start_kind() {
  local kind=$1; shift
  case $kind in
    node) start_node "fan-node" "$SERVER_CPU" 0.2 ;;
    sqlite) start_server "fan-$kind" "$SERVER_CPU" "${FANOUT_SETS[@]}" \
      --set store.url="sqlite://$WORK/fan-$RANDOM.db" "$@" ;;
    memory) start_server "fan-$kind" "$SERVER_CPU" "${FANOUT_SETS[@]}" --set store.url=memory:// "$@" ;;
    *) echo "unknown server kind $kind" >&2; return 1 ;;
  esac
}

# fanout_step LABEL KIND ROOMS RATE [--set ...]: prints one row. During the steady window it runs
# $DURING_STEADY (if set) with SERVER_PID known, e.g. a perf record.
fanout_step() {
  local label=$1 kind=$2 rooms=$3 rate=$4; shift 4
  start_kind "$kind" "$@"
  local tag
  tag=$(step_tag "$label" "$rooms" "$rate")
  start_loadgen "$tag" "ws://127.0.0.1:$PORT/" "$rooms" "$rate"
  local lg=$LOADGEN_PID
  sleep $((RAMP + SETTLE))
  local c0 d0 t0 c1 d1 t1
  # The clock and the CPU ticks first, together: a saturated server answers /metrics late.
  t0=$(date +%s.%N); c0=$(cpu_ticks "$SERVER_PID"); d0=$(metric roomctl_fanout_deliveries_total)
  [ -n "${DURING_STEADY:-}" ] && $DURING_STEADY $((DURATION - SETTLE - 1))
  sleep_until "$t0" $((DURATION - SETTLE))
  t1=$(date +%s.%N); c1=$(cpu_ticks "$SERVER_PID"); d1=$(metric roomctl_fanout_deliveries_total)
  wait "$lg" || true
  stop_server
  local counted=-  # the server's own count, when it answered both times
  [ -n "$d0" ] && [ -n "$d1" ] && counted=$(awk -v a="$d0" -v b="$d1" 'BEGIN {print b - a}')
  fanout_row "$tag" "$label" "$rooms" "$rate" "$t0" "$t1" $((c1 - c0)) "$counted"
}

# step_tag LABEL ROOMS RATE: the file name stem of one step's report, points and log.
step_tag() {
  local tag="$1-$2-$3"
  echo "${tag//[^A-Za-z0-9._-]/_}"
}

# start_loadgen TAG TARGETS ROOMS RATE: the load test of one step in the background (LOADGEN_PID),
# pinned to LOADGEN_CPU; TARGETS is one ws:// URL or several, comma separated (each room's bots
# are then spread over them, the loadtest's default target_spread=bots).
start_loadgen() {
  local tag=$1 targets=$2 rooms=$3 rate=$4 pin=()
  [ "$LOADGEN_CPU" != "-" ] && pin=(taskset -c "$LOADGEN_CPU")
  "${PRIO[@]}" "${pin[@]}" "$LOADGEN" loadtest --profile "$ROOT/profiles/loadtest/fanout.yaml" --workers 1 \
    --set target="$targets" --set rooms="$rooms" --set skribble.stroke_rate="$rate" \
    --set duration="${DURATION}s" --set source_addresses=50 \
    --report "$OUT_DIR/$tag.json" --out json="$OUT_DIR/$tag.points" > "$OUT_DIR/$tag.log" 2>&1 &
  LOADGEN_PID=$!
}

# fanout_row TAG LABEL ROOMS RATE T0 T1 SERVER_TICKS SERVER_DELIVERIES: prints the step's row and
# appends it to ROWS_TSV. The row's inputs are kept beside the report, so the row can be computed
# again (eval python3 bench/fanout_row.py "$(cat STEP.window)" ROWS.tsv).
fanout_row() {
  local tag=$1; shift
  printf '%q ' "$1" "$2" "$3" "$OUT_DIR/$tag.json" "$OUT_DIR/$tag.points" "$4" "$5" \
    "$6" "$(ticks_per_s)" "$7" > "$OUT_DIR/$tag.window"
  python3 "$ROOT/bench/fanout_row.py" "$1" "$2" "$3" "$OUT_DIR/$tag.json" \
    "$OUT_DIR/$tag.points" "$4" "$5" "$6" "$(ticks_per_s)" "$7" "$ROWS_TSV"
}

# sleep_until T0 SECONDS: sleeps until T0 + SECONDS (epoch seconds, fractional).
sleep_until() { python3 -c "import time,sys; time.sleep(max(0, float(sys.argv[1]) + float(sys.argv[2]) - time.time()))" "$1" "$2"; }

# saturated: true when the last row delivered less than 90 % of what it offered, or its p99 passed 1 s.
saturated() { tail -1 "$ROWS_TSV" | awk -F'\t' '{exit !($3 < 0.9 * $2 || $4 > 1)}'; }
