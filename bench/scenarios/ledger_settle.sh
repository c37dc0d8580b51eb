#!/usr/bin/env bash
# Settle 10 M usage events and 1 M revenue events (one month, three regions) and record wall time
# and peak RSS of the settle process in RESULTS_DIR/ledger_settle.json. A first settle run
# (its figures go to stderr) lets RocksDB replay the generator's WAL and finish flushing, so
# the recorded run measures a settled month-end database, as a real close would see it.
# Then the same for the distributed mode: a throwaway PostgreSQL (tools/pg-region.sh) holds the
# control plane and each region's usage log in databases of their own, and the figures go to
# RESULTS_DIR/ledger_settle_postgres.json (about 8 minutes, most of it generating). Set
# LEDGER_BENCH_MODES to "embedded" or "postgres" for one of them.
#   bench/scenarios/ledger_settle.sh BUILD_DIR RESULTS_DIR [USAGE_EVENTS] [REVENUE_EVENTS]
set -euo pipefail
build=$1
results=$2
usage_events=${3:-10000000}
revenue_events=${4:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$build/src/ledger/ledger_settle_bench"
mkdir -p "$results"

# run MODE: generates and settles in a work dir of its own, removed afterwards, also when a step
# fails and ends the script (set -e runs no RETURN trap then; `work` is global for the EXIT one).
run() {
  local mode=$1 out="$results/ledger_settle.json" pgbin dsn
  work=$(mktemp -d "${TMPDIR:-/tmp}/fleetgate-ledger-bench-XXXXXX")
  case $mode in
    embedded) trap 'rm -rf "$work"' RETURN EXIT ;;
    postgres)
      pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
      chmod 755 "$work"  # as root the server runs as postgres
      dsn=$("$root/tools/pg-region.sh" start "$work/pg" "$(shuf -i 20000-40000 -n 1)")
      trap '"$root/tools/pg-region.sh" stop "$work/pg"; rm -rf "$work"' RETURN EXIT
      for db in control cn us eu; do "$pgbin/psql" -q "$dsn" -c "CREATE DATABASE settle_$db" >/dev/null; done
      export FLEETGATE_BENCH_CONTROL_DSN=${dsn/dbname=postgres/dbname=settle_control}
      export FLEETGATE_BENCH_USAGE_DSN_CN=${dsn/dbname=postgres/dbname=settle_cn}
      export FLEETGATE_BENCH_USAGE_DSN_US=${dsn/dbname=postgres/dbname=settle_us}
      export FLEETGATE_BENCH_USAGE_DSN_EU=${dsn/dbname=postgres/dbname=settle_eu}
      out="$results/ledger_settle_postgres.json"
      ;;
    *) echo "ledger_settle.sh: modes are embedded and postgres, not '$mode'" >&2; exit 2 ;;
  esac
  "$bin" generate "$work" "$root/config/ledger.toml" "$usage_events" "$revenue_events" >&2
  "$bin" settle "$work" "$root/config/ledger.toml" "$work/warmup.json" >&2
  "$bin" settle "$work" "$root/config/ledger.toml" "$out"
  unset FLEETGATE_BENCH_CONTROL_DSN FLEETGATE_BENCH_USAGE_DSN_CN FLEETGATE_BENCH_USAGE_DSN_US FLEETGATE_BENCH_USAGE_DSN_EU
}

for mode in ${LEDGER_BENCH_MODES:-embedded postgres}; do run "$mode"; done
