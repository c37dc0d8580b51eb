#!/usr/bin/env bash
# Durable telemetry ingest on loopback: the fleet simulator (fleetgate sim run, as fast as acks
# allow) against the ingest server, with group commit on and off. Reports acknowledged records
# per second, per server CPU-second ("per core"), and bytes per record on disk.
#   bench/scenarios/ingest.sh BUILD_DIR RESULTS_DIR   (env: VEHICLES, SECONDS_PER_RUN, WINDOW)
set -euo pipefail
build=$(cd "$1" && pwd)
mkdir -p "$2"
results=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
fleetgate=$build/src/app/fleetgate
server=$build/tests/crash/ingest_server
vehicles=${VEHICLES:-64}
seconds=${SECONDS_PER_RUN:-10}
window=${WINDOW:-64}
for bin in "$fleetgate" "$server"; do
  [ -x "$bin" ] || { echo "ingest.sh: missing $bin (build fleetgate and ingest_server)" >&2; exit 1; }
done
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ticks=$(getconf CLK_TCK)

# One run: fresh data dir, fleet, server, simulator; prints a JSON object.
run() {
  local mode=$1 flag=$2
  local dir=$work/$mode
  mkdir -p "$dir"
  sed "s|^data_dir = .*|data_dir = \"$dir/data\"|" "$root/config/fleetgate.toml" >"$dir/fleetgate.toml"
  "$fleetgate" -c "$dir/fleetgate.toml" sim fleet --vehicles "$vehicles" --tokens "$dir/tokens" >/dev/null
  coproc SERVER { exec "$server" "$dir/fleetgate.toml" $flag; }
  server_pid=$SERVER_PID
  local port
  read -r _ port <&"${SERVER[0]}"
  local cpu0
  cpu0=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
  local summary
  summary=$("$fleetgate" sim run --tokens "$dir/tokens" --url "ws://127.0.0.1:$port/v1/telemetry/ws" \
    --rate 0 --duration "$seconds" --window "$window" --json 2>/dev/null)
  local cpu1
  cpu1=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  local disk
  disk=$(du -sb "$dir"/data/{cn,us,eu}/store | awk '{s += $1} END {print s}')
  python3 - "$mode" "$summary" "$cpu0" "$cpu1" "$ticks" "$disk" <<'PY'
import json, sys
mode, summary, cpu0, cpu1, ticks, disk = sys.argv[1], json.loads(sys.argv[2]), *map(float, sys.argv[3:])
cpu_s = (cpu1 - cpu0) / ticks
acked = summary["acked"]
print(json.dumps({
    "group_commit": mode == "group_commit_on",
    "vehicles": summary["vehicles"], "seconds": round(summary["seconds"], 2),
    "acked": acked, "errors": summary["errors"], "refused": summary["refused"],
    "records_per_second": round(summary["acked_per_second"]),
    "server_cpu_seconds": round(cpu_s, 2),
    "records_per_cpu_second": round(acked / cpu_s) if cpu_s > 0 else None,
    "disk_bytes_per_record": round(disk / acked, 1) if acked else None,
    "frame_bytes_per_record": round(summary["bytes_sent"] / max(summary["sent"], 1), 1),
}))
PY
}

on=$(run group_commit_on "")
off=$(run group_commit_off --no-group-commit)
python3 - "$results/ingest.json" "$on" "$off" <<'PY'
import json, sys, platform, os
out, on, off = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
doc = {"scenario": "durable telemetry ingest over WebSocket, loopback, WAL fsync per acknowledged group",
       "host": {"cpus": os.cpu_count(), "machine": platform.machine()}, "runs": [on, off]}
json.dump(doc, open(out, "w"), indent=2)
print("| group commit | records/s | records per server CPU-second | disk bytes/record |")
print("|---|---|---|---|")
for r in (on, off):
    print(f"| {'on' if r['group_commit'] else 'off'} | {r['records_per_second']} | {r['records_per_cpu_second']} | {r['disk_bytes_per_record']} |")
PY
