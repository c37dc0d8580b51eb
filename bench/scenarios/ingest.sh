#!/usr/bin/env bash
# Durable telemetry ingest on loopback: the fleet simulator (fleetgate sim run, as fast as acks
# allow) against `fleetgate serve`, with 1 and 50 records per WebSocket frame, group commit on
# and off. Every ack follows the WAL fsync covering its records. Reports acknowledged records per
# second, per server CPU-second ("per core"), and bytes per record on disk: as acknowledged (WAL)
# and at rest (after a reopen flushed the WAL into compressed table files).
#   bench/scenarios/ingest.sh BUILD_DIR RESULTS_DIR
#   env: VEHICLES (64), SECONDS_PER_RUN (10), WINDOW (64), FRAMES ("1 50"), GROUP_COMMIT ("on off")
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_init "$@"
vehicles=${VEHICLES:-64}
seconds=${SECONDS_PER_RUN:-10}
window=${WINDOW:-64}
frames=${FRAMES:-1 50}
group_commit=${GROUP_COMMIT:-on off}
ticks=$(getconf CLK_TCK)

store_bytes() { du -sb "$1"/data/{cn,us,eu}/store | awk '{s += $1} END {print s}'; }

# One run: fresh data dir, fleet, server, simulator; prints a JSON object.
run() {
  local per_frame=$1 commit=$2
  local dir=$work/$per_frame-$commit
  mkdir -p "$dir"
  sed "s|^data_dir = .*|data_dir = \"$dir/data\"|" "$root/config/fleetgate.toml" >"$dir/fleetgate.toml"
  "$fleetgate" -c "$dir/fleetgate.toml" sim fleet --vehicles "$vehicles" --tokens "$dir/tokens" >/dev/null
  local flags=()
  [ "$commit" = off ] && flags=(--no-group-commit)
  start_serve "$dir/fleetgate.toml" "${flags[@]}"
  local cpu0 cpu1 summary
  cpu0=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
  summary=$("$fleetgate" sim run --tokens "$dir/tokens" --url "ws://127.0.0.1:$port/v1/telemetry/ws" \
    --rate 0 --duration "$seconds" --window "$window" --records-per-frame "$per_frame" --json 2>/dev/null)
  cpu1=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  local wal rest vin region
  wal=$(store_bytes "$dir")
  # Reopening the region stores replays the WAL into table files (RocksDB recovery flush).
  read -r vin _ <"$dir/tokens"
  region=$("$fleetgate" -c "$dir/fleetgate.toml" fleet show "$vin" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["region"])')
  "$fleetgate" -c "$dir/fleetgate.toml" telemetry query "$vin" --as-region "$region" --limit 1 >/dev/null
  rest=$(store_bytes "$dir")
  python3 - "$per_frame" "$commit" "$summary" "$cpu0" "$cpu1" "$ticks" "$wal" "$rest" <<'PY'
import json, sys
per_frame, commit, summary = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
cpu0, cpu1, ticks, wal, rest = map(float, sys.argv[4:])
cpu_s = (cpu1 - cpu0) / ticks
acked = summary["acked"]
print(json.dumps({
    "records_per_frame": per_frame, "group_commit": commit == "on",
    "vehicles": summary["vehicles"], "seconds": round(summary["seconds"], 2),
    "acked": acked, "errors": summary["errors"], "refused": summary["refused"],
    "records_per_second": round(summary["acked_per_second"]),
    "server_cpu_seconds": round(cpu_s, 2),
    "records_per_cpu_second": round(acked / cpu_s) if cpu_s > 0 else None,
    "wal_bytes_per_record": round(wal / acked, 1) if acked else None,
    "at_rest_bytes_per_record": round(rest / acked, 1) if acked else None,
    "wire_bytes_per_record": round(summary["bytes_sent"] / max(summary["sent"], 1), 1),
}))
PY
}

runs=()
for per_frame in $frames; do
  for commit in $group_commit; do runs+=("$(run "$per_frame" "$commit")"); done
done
python3 - "$results/ingest.json" "${runs[@]}" <<'PY'
import json, sys, platform, os
out, runs = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
doc = {"scenario": "durable telemetry ingest over WebSocket, loopback, WAL fsync before every ack",
       "host": {"cpus": os.cpu_count(), "machine": platform.machine()}, "runs": runs}
json.dump(doc, open(out, "w"), indent=2)
print("| records/frame | group commit | records/s | records per server CPU-second | disk bytes/record (WAL) | at rest |")
print("|---|---|---|---|---|---|")
for r in runs:
    print(f"| {r['records_per_frame']} | {'on' if r['group_commit'] else 'off'} | {r['records_per_second']} | "
          f"{r['records_per_cpu_second']} | {r['wal_bytes_per_record']} | {r['at_rest_bytes_per_record']} |")
PY
