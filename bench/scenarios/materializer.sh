#!/usr/bin/env bash
# Materializer throughput on loopback: a 3-node JetStream cluster (tools/nats-region.sh) and a
# PostgreSQL (tools/pg-region.sh); materializer_bench seals BLOCKS blocks of RECORDS records with
# the real codec, publishes them into R3 streams, then times one materializer per shard draining
# them into the query store (fetch, COPY + INSERT ON CONFLICT, COMMIT, ack), beside raw binary
# COPY of the same blocks into a bare table. Servers and bench share the machine's cores.
# Writes RESULTS_DIR/materializer.json.
#   bench/scenarios/materializer.sh BUILD_DIR RESULTS_DIR
#   env: BLOCKS (20000), RECORDS (50), SHARDS (4), BATCH (256)
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_init "$@"
bin="$build/src/query_store/materializer_bench"
[ -x "$bin" ] || { echo "materializer.sh: missing $bin (build materializer_bench)" >&2; exit 1; }
chmod 0755 "$work"  # as root, PostgreSQL runs as postgres and must reach its folder
trap '"$root/tools/nats-region.sh" stop "$work/nats"; "$root/tools/pg-region.sh" stop "$work/pg"; bench_cleanup' EXIT

dsn=$("$root/tools/pg-region.sh" start "$work/pg" "$(free_port)")
urls=$("$root/tools/nats-region.sh" start "$work/nats" bench)
run=$("$bin" "$urls" "$dsn" "$results/materializer.json" "${BLOCKS:-20000}" "${RECORDS:-50}" "${SHARDS:-4}" "${BATCH:-256}")
python3 - "$run" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("| path | blocks/s | records/s |")
print("|---|---|---|")
print(f"| materializer ({r['shards']} shards, batch {r['batch']}) | {r['materializer_blocks_per_second']} | {r['materializer_records_per_second']} |")
print(f"| raw COPY (batch {r['batch']}) | {r['raw_copy_blocks_per_second']} | {r['raw_copy_records_per_second']} |")
print(f"blocks {r['blocks']} x {r['records_per_block']} records, mean {r['mean_block_bytes']} bytes; max lag seen {r['materializer_max_lag_blocks']} blocks")
PY
