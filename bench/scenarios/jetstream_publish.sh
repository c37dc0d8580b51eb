#!/usr/bin/env bash
# Raw NATS JetStream publish on loopback: a 3-node cluster (tools/nats-region.sh) and
# stream_publish_bench publishing 5 KB blocks (about one sealed 50-record block) through
# stream::BlockPublisher, as fast as IN_FLIGHT outstanding PubAcks allow, into R3 streams.
# The servers and the publisher share the machine's cores. Writes RESULTS_DIR/jetstream_publish.json.
#   bench/scenarios/jetstream_publish.sh BUILD_DIR RESULTS_DIR
#   env: SECONDS_PER_RUN (10), BLOCK_BYTES (5120), SHARDS ("1 4"), REPLICAS (3), IN_FLIGHT (1024)
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_init "$@"
bin="$build/src/stream/stream_publish_bench"
[ -x "$bin" ] || { echo "jetstream_publish.sh: missing $bin (build stream_publish_bench)" >&2; exit 1; }
trap '"$root/tools/nats-region.sh" stop "$work/nats"; bench_cleanup' EXIT

runs=()
for shards in ${SHARDS:-1 4}; do
  # A fresh cluster per run, so one run's stored blocks do not weigh on the next.
  "$root/tools/nats-region.sh" stop "$work/nats"
  rm -rf "$work/nats"
  urls=$("$root/tools/nats-region.sh" start "$work/nats" bench)
  runs+=("$("$bin" "$urls" "$work/run.json" "${SECONDS_PER_RUN:-10}" "${BLOCK_BYTES:-5120}" "$shards" \
    "${REPLICAS:-3}" "${IN_FLIGHT:-1024}")")
done
python3 - "$results/jetstream_publish.json" "${runs[@]}" <<'PY'
import json, os, platform, sys
out, runs = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
json.dump({"host": {"cpus": os.cpu_count(), "machine": platform.machine()}, "runs": runs}, open(out, "w"), indent=2)
print("| block bytes | streams | replicas | acked blocks/s | MB/s | PubAck p50 ms | p99 ms |")
print("|---|---|---|---|---|---|---|")
for r in runs:
    print(f"| {r['block_bytes']} | {r['shards']} | {r['replicas']} | {r['acked_per_second']} | "
          f"{r['megabytes_per_second']} | {r['ack_latency_ms_p50']} | {r['ack_latency_ms_p99']} |")
PY
