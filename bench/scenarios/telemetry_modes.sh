#!/usr/bin/env bash
# End-to-end telemetry ingest in the three modes, same fleet and frames: `fleetgate sim run` (as
# fast as acks allow, 50 records per frame) against one `fleetgate serve` whose cars are all homed
# in cn, with cn's telemetry
#   embedded:   in the node's RocksDB, acked after the WAL fsync;
#   replicated: on a 3-server JetStream cluster (tools/nats-region.sh), acked on the PubAck;
#   persisted:  the same, acked once the materializers committed the blocks in PostgreSQL
#               (tools/pg-region.sh, the region's query store).
# Reports acked records/s, the ack latency p50/p99 (frame sent → ack, from the simulator), and
# for the JetStream modes how long the query store took after the run to hold every block
# (materializer lag). Servers, node and simulator share the machine's cores.
# Writes RESULTS_DIR/telemetry_modes.json.
#   bench/scenarios/telemetry_modes.sh BUILD_DIR RESULTS_DIR
#   env: VEHICLES (64), SECONDS_PER_RUN (10), FRAMES (50), WINDOW (4: frames in flight per car; a
#   deeper window only adds queueing to the latency), MODES ("embedded replicated persisted")
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_init "$@"
vehicles=${VEHICLES:-64}
seconds=${SECONDS_PER_RUN:-10}
per_frame=${FRAMES:-50}
window=${WINDOW:-4}
modes=${MODES:-embedded replicated persisted}
chmod 0755 "$work"  # as root, PostgreSQL runs as postgres and must reach its folder
trap '"$root/tools/nats-region.sh" stop "$work/nats" >/dev/null 2>&1 || true
      "$root/tools/pg-region.sh" stop "$work/pg" >/dev/null 2>&1 || true; bench_cleanup' EXIT

dsn=$("$root/tools/pg-region.sh" start "$work/pg" "$(free_port)")
export FLEETGATE_NATS_CN FLEETGATE_REGION_DSN_CN
FLEETGATE_NATS_CN=$("$root/tools/nats-region.sh" start "$work/nats" cn)
psql_q() { psql -X -A -t -q "$FLEETGATE_REGION_DSN_CN" -c "$1"; }

# run MODE: fresh data dir and database, fleet, server, simulator; prints a JSON object.
run() {
  local mode=$1 dir=$work/$1
  mkdir -p "$dir"
  sed "s|^data_dir = .*|data_dir = \"$dir/data\"|" "$root/config/fleetgate.toml" >"$dir/fleetgate.toml"
  if [ "$mode" != embedded ]; then
    local db=bench_$mode
    psql -X -q "$dsn" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    FLEETGATE_REGION_DSN_CN="$dsn dbname=$db"
    python3 - "$dir/fleetgate.toml" "$mode" <<'PY'
import sys
path, ack = sys.argv[1], sys.argv[2]
text = open(path).read()
at = text.index('id = "cn"')
end = text.index("\n[", at)  # the end of cn's [[regions]] entry
table = f'\n[regions.telemetry]\nlog = "jetstream"\nack = "{ack}"\n'
open(path, "w").write(text[:end] + table + text[end:])
PY
    "$fleetgate" -c "$dir/fleetgate.toml" migrate >/dev/null
  fi
  "$fleetgate" -c "$dir/fleetgate.toml" sim fleet --vehicles "$vehicles" --region cn --tokens "$dir/tokens" >/dev/null
  start_serve "$dir/fleetgate.toml"
  local summary drained=null start blocks last
  summary=$("$fleetgate" sim run --tokens "$dir/tokens" --url "ws://127.0.0.1:$port/v1/telemetry/ws" \
    --rate 0 --duration "$seconds" --window "$window" --records-per-frame "$per_frame" --json 2>/dev/null)
  if [ "$mode" != embedded ]; then
    # The query store holds every block once its count stops moving for a second.
    start=$(date +%s.%N)
    last=-1
    for _ in $(seq 1 600); do
      blocks=$(psql_q "SELECT count(*) FROM telemetry_blocks")
      [ "$blocks" = "$last" ] && break
      last=$blocks
      sleep 1
    done
    drained=$(python3 -c "print(round(max(0.0, $(date +%s.%N) - $start - 1.0), 1))")
  fi
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  python3 - "$mode" "$summary" "$drained" <<'PY'
import json, sys
mode, s, drained = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(json.dumps({
    "mode": mode, "records_per_frame": s["records_per_frame"], "vehicles": s["vehicles"],
    "seconds": round(s["seconds"], 2), "acked": s["acked"], "errors": s["errors"], "refused": s["refused"],
    "records_per_second": round(s["acked_per_second"]),
    "ack_p50_ms": round(s["ack_p50_us"] / 1000, 1), "ack_p99_ms": round(s["ack_p99_us"] / 1000, 1),
    "query_store_caught_up_after_s": drained,
}))
PY
}

runs=()
for mode in $modes; do runs+=("$(run "$mode")"); done
python3 - "$results/telemetry_modes.json" "${runs[@]}" <<'PY'
import json, sys, platform, os
out, runs = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
doc = {"scenario": "telemetry ingest end to end: embedded, JetStream replicated, JetStream persisted; loopback",
       "host": {"cpus": os.cpu_count(), "machine": platform.machine()}, "runs": runs}
json.dump(doc, open(out, "w"), indent=2)
print("| mode | acked records/s | ack p50 ms | ack p99 ms | query store caught up after |")
print("|---|---:|---:|---:|---:|")
for r in runs:
    lag = "" if r["query_store_caught_up_after_s"] is None else f'{r["query_store_caught_up_after_s"]} s'
    print(f'| {r["mode"]} | {r["records_per_second"]:,} | {r["ack_p50_ms"]} | {r["ack_p99_ms"]} | {lag} |')
PY
