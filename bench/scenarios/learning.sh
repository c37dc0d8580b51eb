#!/usr/bin/env bash
# In-region training and federated learning on simulated fleet data, end to end: SUMO scenarios
# per region (one region data-poor through --demand), replayed through `fleetgate serve`'s
# WebSocket ingest into each region, `train curate` and `train local` in each region,
# `train federate` (weights cross only as model.weights transfers; each region then personalises
# the global model in region and deploys that), then `train evaluate` writes the local / federated
# global / personalised / centralised* table to RESULTS_DIR/learning.json, with the scenario
# parameters and per-step seconds under "flow".
#   bench/scenarios/learning.sh BUILD_DIR RESULTS_DIR
#   env: SIZE (ci; or bench), SEED (7), DEMAND (us=0.1: tools/sumo-scenarios.sh --demand),
#        ROUNDS (20), ROUND_EPOCHS (2: local epochs per federated round), EPOCHS (30: local-only and
#        centralised), PERSONAL_EPOCHS (10: in-region personalisation of the global model; 0: regions
#        deploy the global model), TEST_FRACTION (0.5: share of held-out vehicles), AGGREGATOR (eu)
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_init "$@"
size=${SIZE:-ci}
seed=${SEED:-7}
demand=${DEMAND-us=0.1}
rounds=${ROUNDS:-20}
round_epochs=${ROUND_EPOCHS:-2}
epochs=${EPOCHS:-30}
personal_epochs=${PERSONAL_EPOCHS:-10}
test_fraction=${TEST_FRACTION:-0.5}
aggregator=${AGGREGATOR:-eu}
regions="cn us eu"
if ! command -v sumo >/dev/null; then
  echo "learning.sh: SUMO is not installed (Debian packages sumo and sumo-tools); skipped" >&2
  exit 0
fi

# Records the seconds since the previous call as step $1 of the "flow" timings (none without $1).
# Not called in a $(...) subshell, which would lose the new mark.
mark=$(date +%s.%N)
declare -A seconds=()
lap() {
  local now; now=$(date +%s.%N)
  [ -z "${1:-}" ] || seconds[$1]=$(python3 -c "print(round($now - $mark, 2))")
  mark=$now
}

sed "s|^data_dir = .*|data_dir = \"$work/data\"|" "$root/config/fleetgate.toml" >"$work/fleetgate.toml"
printf '\n[transfer]\nauto_approve_model_weights = true\n' >>"$work/fleetgate.toml"
fg() { "$fleetgate" -c "$work/fleetgate.toml" "$@"; }

"$root/tools/sumo-scenarios.sh" --out "$work/sumo" --size "$size" --seed "$seed" --demand "$demand" >&2
lap generate

declare -A vehicles=()
serial=1
for region in $regions; do
  vehicles[$region]=$(sed -n 's/^VEHICLES=//p' "$work/sumo/$region/scenario.env")
  fg sim fleet --region "$region" --vehicles "${vehicles[$region]}" --first-serial "$serial" \
    --tokens "$work/$region.tokens" >/dev/null
  serial=$((serial + vehicles[$region]))
done

"$fleetgate" -c "$work/fleetgate.toml" serve --port 0 >"$work/serve.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 600); do
  port=$(sed -n 's|.*listening on [a-z]*://[^:]*:\([0-9]*\).*|\1|p' "$work/serve.log" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05
done
[ -n "$port" ] || { echo "learning.sh: fleetgate serve did not start: $(cat "$work/serve.log")" >&2; exit 1; }
lap
for region in $regions; do
  fg sim replay --sumo-fcd "$work/sumo/$region/fcd.xml" --region "$region" --tokens "$work/$region.tokens" \
    --url "ws://127.0.0.1:$port/v1/telemetry/ws" >&2 2>/dev/null
done
lap replay
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=

for region in $regions; do
  fg train curate --region "$region" --window-s 5 --horizon-s 3 --negatives-per-positive 2 --seed 5 \
    --test-fraction "$test_fraction" >&2
done
lap curate
for region in $regions; do
  fg train local --region "$region" --epochs "$epochs" --seed 1 >&2 2>/dev/null
done
lap local
fg train federate --rounds "$rounds" --epochs "$round_epochs" --seed 1 --regions "${regions// /,}" \
  --personal-epochs "$personal_epochs" \
  --aggregator "$aggregator" --legal-basis "model parameters only" --assessment-ref SA-2026-017 >&2 2>/dev/null
lap federate
fg train evaluate --epochs "$epochs" --seed 1 --out "$work/learning.json" >&2
lap evaluate
fg audit verify >&2

flow=$(printf '%s\n' "size=$size" "seed=$seed" "demand=$demand" "rounds=$rounds" "round_epochs=$round_epochs" \
  "personal_epochs=$personal_epochs" "test_fraction=$test_fraction" \
  "aggregator=$aggregator" $(for r in $regions; do echo "vehicles.$r=${vehicles[$r]}"; done) \
  $(for step in "${!seconds[@]}"; do echo "seconds.$step=${seconds[$step]}"; done))
python3 - "$work/learning.json" "$results/learning.json" "$flow" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
flow = {"command": "bench/scenarios/learning.sh", "vehicles": {}, "seconds": {}}
for line in sys.argv[3].splitlines():
    key, value = line.split("=", 1)
    group, _, name = key.partition(".")
    if name:
        flow[group][name] = float(value) if group == "seconds" else int(value)
    else:
        flow[key] = int(value) if value.isdigit() else float(value) if value.replace(".", "", 1).isdigit() else value
result["flow"] = flow
json.dump(result, open(sys.argv[2], "w"), indent=1)
PY
echo "learning.sh: wrote $results/learning.json" >&2
