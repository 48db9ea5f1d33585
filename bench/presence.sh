#!/usr/bin/env bash
# Presence at scale: TOTAL users brought online in waves of WAVE (each an identified connection:
# app_opened, online once its own users_online list arrived) against one roomctl serve (default
# settings and SQLite store, server.threads=1, unpinned). Per wave: users/s brought online,
# presence frames (users_online, user_status_change, user_offline, users_offline) received by
# all connections during the wave per online user, and the server's CPU. At 1k, 5k and 19k online
# it also sets up 10 skribble rooms of 8 at once from that wave's users (room setup costs one
# status change per member, which presence sends to everyone online), then 10 more from 80 new
# users who connect and create or join at once (as a load test's bots do), and reports rooms/s.
# One bench_clients process holds every connection (the open-files limit is per process: TOTAL
# sockets plus a few descriptors must stay under `ulimit -n`; the server holds as many).
# Usage: bench/presence.sh [total (19000)] [wave (1000)]   env: ROOMCTL, BENCH_CLIENTS, CHECKPOINTS
source "$(dirname "$0")/common.sh"
TOTAL=${1:-19000}
WAVE=${2:-1000}
CHECKPOINTS=${CHECKPOINTS:-1000,5000,$TOTAL}
limit=$(ulimit -n)
if [ $((TOTAL + 200)) -gt "$limit" ]; then
  echo "open-files limit $limit is too low for $TOTAL connections in one process" >&2; exit 1
fi

start_server presence - --set store.url="sqlite://$WORK/presence.db"
out="$WORK/presence.out"
"$BENCH_CLIENTS" --port "$PORT" --mode online-waves --count "$TOTAL" --wave "$WAVE" \
  --server-pid "$SERVER_PID" --checkpoints "$CHECKPOINTS" --checkpoint-rooms 10 --sources 20 \
  --hold 2 --prefix "pr$RANDOM" > "$out" 2>&1 &
CLIENT_PID=$!
PIDS+=("$CLIENT_PID")
for _ in $(seq 6000); do grep -q READY "$out" && break; kill -0 "$CLIENT_PID" 2>/dev/null || break; sleep 0.1; done
grep -q READY "$out" || { echo "presence clients did not finish:" >&2; tail -5 "$out" >&2; exit 1; }
server_frames=$(metric roomctl_presence_frames_total)
wait "$CLIENT_PID" 2>/dev/null || true
stop_server
{ grep -c "connect failed" "$out" || true; } | awk '$1 > 0 {print "connect failures: " $1}'

python3 - "$out" "$CHECKPOINTS" "$server_frames" "$TOTAL" <<'PY'
import sys
out, checkpoints, server_frames, total = sys.argv[1], {int(c) for c in sys.argv[2].split(",")}, float(sys.argv[3]), int(sys.argv[4])
kv = lambda line: dict(f.split("=", 1) for f in line.split()[1:])
waves = [kv(l) for l in open(out) if l.startswith("WAVE ")]
rooms = [kv(l) for l in open(out) if l.startswith("CHECKPOINT ")]
fresh = {r["online"]: r for r in (kv(l) for l in open(out) if l.startswith("CHECKPOINT_FRESH "))}
print("| online after the wave | users/s brought online | presence frames received in the wave, per online user | server CPU for the wave | server CPU per user brought online |")
print("|---|---|---|---|---|")
for w in waves:
    b = "**" if int(w["online"]) in checkpoints else ""
    print(f"| {b}{int(w['online']):,}{b} | {float(w['users_per_s']):,.0f} | {float(w['frames_per_online_user']):.2f} | "
          f"{float(w['server_cpu_s']):.2f} s | {float(w['server_cpu_ms_per_user']):.2f} ms |")
cum = sum(int(w["frames"]) for w in waves)
print(f"\npresence frames received by the clients in all waves: {cum:,} ({cum / total:.1f} per user); "
      f"the server's roomctl_presence_frames_total at the end: {server_frames:,.0f}")
print("\n| online | rooms of 8 set up at once | from online users: rooms/s | server CPU | presence frames it caused | from new users (connect, then create/join): rooms/s | server CPU | presence frames |")
print("|---|---|---|---|---|---|---|---|")
for r in rooms:
    f = fresh.get(r["online"], {})
    print(f"| {int(r['online']):,} | {r['rooms']} | {float(r['rooms_per_s']):.1f} | {float(r['server_cpu_s']):.2f} s | {int(r['presence_frames']):,} | "
          f"{float(f.get('rooms_per_s', 0)):.1f} | {float(f.get('server_cpu_s', 0)):.2f} s | {int(f.get('presence_frames', 0)):,} |")
PY
