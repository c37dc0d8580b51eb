#!/usr/bin/env bash
# Assistant gateway throughput by control-plane backend and node count, on loopback against the
# zero-latency mock upstream: one node on the embedded control plane, one node on PostgreSQL, and
# two nodes sharing that PostgreSQL (the load split evenly between them, one open-loop
# `fleetgate bench-client` per node). Nothing is pinned: the nodes, PostgreSQL, the mock and the
# clients share every core, as they must on a small machine. Rates ramp up until a setup
# saturates (errors, or under 95% of the offered rate achieved); its peak is the best error-free
# achieved rate. Then each setup runs once at COMPARE_RPS for latency. Writes
# RESULTS_DIR/gateway_nodes.json and prints a markdown table.
#   bench/scenarios/gateway_nodes.sh BUILD_DIR RESULTS_DIR
#   env: SECONDS_PER_RUN (5), CONNECTIONS (64, per node), COMPARE_RPS (1000),
#        RATES ("500 1000 2000 3000 4000 6000 8000 12000")
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_init "$@"
mock=$build/tests/mock_upstream/mock-upstream
seconds=${SECONDS_PER_RUN:-5}
connections=${CONNECTIONS:-64}
compare_rps=${COMPARE_RPS:-1000}
rates=${RATES:-"500 1000 2000 3000 4000 6000 8000 12000"}
[ -x "$mock" ] || { echo "gateway_nodes.sh: missing $mock (build the mock-upstream target)" >&2; exit 1; }
log() { echo "[gateway_nodes] $*" >&2; }

mock_port=$(free_port)
"$mock" --identity mock-eu --location eu --port "$mock_port" --model mock-model >"$work/mock.log" 2>&1 &
pids+=($!)
wait_for_port "$mock_port"

chmod 755 "$work"  # the postgres account (when run as root) reaches its folder inside
export FLEETGATE_CONTROL_DSN FLEETGATE_DIRECTORY_KEY
FLEETGATE_DIRECTORY_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')  # the nodes share the directory
FLEETGATE_CONTROL_DSN=$("$root/tools/pg-region.sh" start "$work/pg" "$(free_port)")
trap '"$root/tools/pg-region.sh" stop "$work/pg"; bench_cleanup' EXIT

# node_config NAME BACKEND: a one-region config whose chain is the mock; prints its path.
node_config() {
  local dir=$work/$1
  mkdir -p "$dir"
  mock_gateway_config "$(free_port)" 2 "$dir/data" "$mock_port" >"$dir/fleetgate.toml"
  [ "$2" = postgres ] && printf '\n[control]\nbackend = "postgres"\n' >>"$dir/fleetgate.toml"
  echo "$dir/fleetgate.toml"
}

port_of() { sed -n 's/^port = //p' "$1"; }

# serve CONFIG: starts a node; appends its pid to pids.
serve() {
  "$fleetgate" -c "$1" serve >"$(dirname "$1")/serve.log" 2>&1 &
  pids+=($!)
  wait_for_port "$(port_of "$1")"
}

stop_nodes() {  # stop_nodes N: stops the last N nodes started
  local i
  for ((i = 0; i < $1; ++i)); do
    kill "${pids[-1]}"
    wait "${pids[-1]}" 2>/dev/null || true
    unset 'pids[-1]'
  done
}

vin=LRW3E7EA8PC390117

# run_setup RATE TOKEN CONFIG...: the clients split RATE over the nodes at CONFIG...; prints one JSON
# object: the rate, the sum of achieved rates and errors, and the worst node's latency quantiles.
run_setup() {
  local rate=$1 token=$2
  shift 2
  local n=$# i=0 config outs=() clients=()
  for config in "$@"; do
    "$fleetgate" bench-client --url "http://127.0.0.1:$(port_of "$config")/v1/chat/completions" --token "$token" \
      --rate $((rate / n)) --duration "$seconds" --connections "$connections" --json >"$work/client.$i.json" &
    clients+=($!)
    outs+=("$work/client.$i.json")
    i=$((i + 1))
  done
  for i in "${clients[@]}"; do wait "$i"; done
  python3 - "$rate" "${outs[@]}" <<'PY'
import json, sys
rate, runs = int(sys.argv[1]), [json.load(open(p)) for p in sys.argv[2:]]
lat = {}
for q in ("p50", "p99"):
    values = [r["latency_ms"][q] for r in runs if q in r["latency_ms"]]
    if values:
        lat[q] = max(values)
print(json.dumps({"offered_rps": rate, "achieved_rps": round(sum(r["achieved_rps"] for r in runs), 1),
                  "errors": sum(r["errors"] for r in runs), "latency_ms": lat}))
PY
}

# measure NAME TOKEN CONFIG...: ramp, then one run at COMPARE_RPS; appends to results.jsonl.
measure() {
  local name=$1 token=$2 rate r peak=0
  shift 2
  for rate in $rates; do
    r=$(run_setup "$rate" "$token" "$@")
    log "$name at $rate req/s: $r"
    peak=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); p=float(sys.argv[2]); print(max(p, r["achieved_rps"]) if r["errors"] == 0 else p)' "$r" "$peak")
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["errors"] == 0 and r["achieved_rps"] >= 0.95 * r["offered_rps"] else 1)' "$r" || break
  done
  r=$(run_setup "$compare_rps" "$token" "$@")
  log "$name at $compare_rps req/s: $r"
  python3 -c 'import json,sys; r=json.loads(sys.argv[2]); print(json.dumps({"setup": sys.argv[1], "peak_rps": float(sys.argv[3]), "at_compare_rps": r}))' \
    "$name" "$r" "$peak" >>"$work/results.jsonl"
}

embedded=$(node_config embedded embedded)
"$fleetgate" -c "$embedded" fleet register "$vin" --market DE >/dev/null
token=$("$fleetgate" -c "$embedded" fleet token "$vin")
serve "$embedded"
measure "embedded, 1 node" "$token" "$embedded"
stop_nodes 1

a=$(node_config pg-a postgres)
b=$(node_config pg-b postgres)
"$fleetgate" -c "$a" migrate >/dev/null
"$fleetgate" -c "$a" fleet register "$vin" --market DE >/dev/null
token=$("$fleetgate" -c "$a" fleet token "$vin")
serve "$a"
measure "postgres, 1 node" "$token" "$a"
serve "$b"
measure "postgres, 2 nodes" "$token" "$a" "$b"
stop_nodes 2

python3 - "$work/results.jsonl" "$results/gateway_nodes.json" "$compare_rps" "$(nproc)" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
json.dump({"cpus": int(sys.argv[4]), "compare_rps": int(sys.argv[3]), "setups": rows}, open(sys.argv[2], "w"), indent=1)
print(f"| setup | peak req/s (error-free) | p50 / p99 ms at {sys.argv[3]} req/s |")
print("|---|---:|---|")
for r in rows:
    c = r["at_compare_rps"]
    print(f"| {r['setup']} | {r['peak_rps']:.0f} | {c['latency_ms'].get('p50')} / {c['latency_ms'].get('p99')} |")
PY
