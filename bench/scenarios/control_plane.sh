#!/usr/bin/env bash
# Audited control-plane commits per second (registrations and token issues, 16 threads, 10 s):
# embedded RocksDB, PostgreSQL with one node and with two, and beside them pgbench's TPC-B-like
# commit rate with 16 clients on the same throwaway PostgreSQL. Writes RESULTS_DIR/control_plane.json.
#   bench/scenarios/control_plane.sh BUILD_DIR RESULTS_DIR [SECONDS]
source "$(dirname "$0")/common.bash"
bench_init "$@"
seconds=${3:-10}
bench=$build/src/app/control_plane_bench
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

config_in() {  # config_in DIR [postgres]: the shipped config with its data under DIR
  mkdir -p "$1"
  sed "s|^data_dir = \"../data\"|data_dir = \"$1/data\"|" "$root/config/fleetgate.toml" >"$1/fleetgate.toml"
  [ "${2:-}" = postgres ] && printf '\n[control]\nbackend = "postgres"\n' >>"$1/fleetgate.toml"
  echo "$1/fleetgate.toml"
}

embedded=$("$bench" "$(config_in "$work/embedded")" 16 "$seconds")
chmod 755 "$work"
export FLEETGATE_CONTROL_DSN
# Nodes sharing a control database share the VIN directory in it, so they need its key.
export FLEETGATE_DIRECTORY_KEY
FLEETGATE_DIRECTORY_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
FLEETGATE_CONTROL_DSN=$("$root/tools/pg-region.sh" start "$work/pg" "$(shuf -i 20000-40000 -n 1)")
pids=()
trap '"$root/tools/pg-region.sh" stop "$work/pg"; bench_cleanup' EXIT
pg_config=$(config_in "$work/postgres" postgres)
"$fleetgate" -c "$pg_config" migrate >&2
pg_one=$("$bench" "$pg_config" 16 "$seconds" 1)
# A fresh database for two nodes: the first run registered the VINs the bench generates.
"$pgbin/psql" -q "$FLEETGATE_CONTROL_DSN" -c "CREATE DATABASE two_nodes" >/dev/null
FLEETGATE_CONTROL_DSN=${FLEETGATE_CONTROL_DSN/dbname=postgres/dbname=two_nodes}
"$fleetgate" -c "$pg_config" migrate >&2
pg_two=$("$bench" "$pg_config" 16 "$seconds" 2)
"$pgbin/pgbench" -i -s 16 -q "$FLEETGATE_CONTROL_DSN" >/dev/null 2>&1
pgbench_tps=$("$pgbin/pgbench" -c 16 -j 2 -T "$seconds" "$FLEETGATE_CONTROL_DSN" 2>/dev/null |
  awk '/^tps/ {print $3; exit}')
cat >"$results/control_plane.json" <<JSON
{"embedded": $embedded,
 "postgres_one_node": $pg_one,
 "postgres_two_nodes": $pg_two,
 "pgbench_tpcb_16_clients_tps": $pgbench_tps}
JSON
cat "$results/control_plane.json"
