#!/usr/bin/env bash
# Settle 10 M usage events and 1 M revenue events (one month, three regions) and record wall time
# and peak RSS of the settle process in RESULTS_DIR/ledger_settle.json. A first settle run
# (its figures go to stderr) lets RocksDB replay the generator's WAL and finish flushing, so
# the recorded run measures a settled month-end database, as a real close would see it.
#   bench/scenarios/ledger_settle.sh BUILD_DIR RESULTS_DIR [USAGE_EVENTS] [REVENUE_EVENTS]
set -euo pipefail
build=$1
results=$2
usage_events=${3:-10000000}
revenue_events=${4:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$build/src/ledger/ledger_settle_bench"
work=$(mktemp -d "${TMPDIR:-/tmp}/fleetgate-ledger-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$results"
"$bin" generate "$work" "$root/config/ledger.toml" "$usage_events" "$revenue_events" >&2
"$bin" settle "$work" "$root/config/ledger.toml" "$work/warmup.json" >&2
"$bin" settle "$work" "$root/config/ledger.toml" "$results/ledger_settle.json"
