#!/usr/bin/env bash
# Assistant gateway overhead on loopback against the zero-latency mock upstream, with the open-loop
# `fleetgate bench-client`: (1) straight to the mock, (2) through `fleetgate serve`, (3) through
# Portkey's open-source gateway (bench/portkey, installed by ./dev bench; skipped without node).
# Each target gets its own mock. Per target: rates ramp up until the target saturates (errors, or
# under 95% of the offered rate achieved); "max sustained" is the best run that also kept p99 within
# P99_LIMIT_MS, "peak" the best achieved rate. Then fixed-rate runs at COMPARE_RPS (non-stream) and
# STREAM_RPS (stream, time to first token). Added latency is the
# gateway's minus the direct run's at the same rate. Writes RESULTS_DIR/gateway.json and prints a
# markdown table.
#   bench/scenarios/gateway.sh BUILD_DIR RESULTS_DIR
#   env: SECONDS_PER_RUN (5), CONNECTIONS (64), COMPARE_RPS (5000), STREAM_RPS (1000),
#        RATES ("100 250 500 1000 2000 5000 10000 15000 20000 30000 40000"), P99_LIMIT_MS (10)
set -euo pipefail
source "$(dirname "$0")/common.bash"
bench_init "$@"
mock=$build/tests/mock_upstream/mock-upstream
portkey=$root/bench/portkey/node_modules/@portkey-ai/gateway/build/start-server.js
seconds=${SECONDS_PER_RUN:-5}
connections=${CONNECTIONS:-64}
compare_rps=${COMPARE_RPS:-5000}
stream_rps=${STREAM_RPS:-1000}
rates=${RATES:-"100 250 500 1000 2000 5000 10000 15000 20000 30000 40000"}
p99_limit=${P99_LIMIT_MS:-10}
[ -x "$mock" ] || { echo "gateway.sh: missing $mock (build the mock-upstream target)" >&2; exit 1; }
ticks=$(getconf CLK_TCK)
log() { echo "[gateway] $*" >&2; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for_port() {
  local port=$1 i
  for i in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "gateway.sh: nothing listens on port $port" >&2
  return 1
}

# start_mock NAME: a mock upstream located in eu on a free port; sets mock_port.
start_mock() {
  mock_port=$(free_port)
  "$mock" --identity "$1" --location eu --port "$mock_port" --model mock-model >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_for_port "$mock_port"
}

# One bench-client run; prints its JSON summary with the target's name and server CPU added.
# run_client TARGET SERVER_PID RATE STREAM(0|1) URL [bench-client args...]
run_client() {
  local target=$1 pid=$2 rate=$3 stream=$4 url=$5
  shift 5
  local flags=(--rate "$rate" --duration "$seconds" --connections "$connections" --json --url "$url")
  [ "$stream" = 1 ] && flags+=(--stream)
  local cpu0 cpu1 out
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$("$fleetgate" bench-client "${flags[@]}" "$@")
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  python3 - "$target" "$out" "$cpu0" "$cpu1" "$ticks" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
target, out, cpu0, cpu1, ticks, load = sys.argv[1], json.loads(sys.argv[2]), *map(float, sys.argv[3:])
out["target"] = target
out["server_cpu_seconds"] = round((cpu1 - cpu0) / ticks, 2)
out["load_avg_1m"] = load
print(json.dumps(out))
PY
}

unsaturated() {
  python3 - "$1" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if r["errors"] == 0 and r["achieved_rps"] >= 0.95 * r["offered_rps"] else 1)
PY
}

# measure TARGET SERVER_PID URL [args...]: the ramp, then the fixed-rate runs; appends to runs.jsonl.
measure() {
  local target=$1 pid=$2 url=$3
  shift 3
  local rate r
  for rate in $rates; do
    r=$(run_client "$target" "$pid" "$rate" 0 "$url" "$@")
    echo "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); r["phase"]="ramp"; print(json.dumps(r))' >>"$work/runs.jsonl"
    log "$target ramp $rate req/s: $(echo "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["achieved_rps"], "achieved,", r["errors"], "errors, p99", r["latency_ms"].get("p99"), "ms")')"
    unsaturated "$r" || break
  done
  for mode in 0 1; do
    rate=$([ "$mode" = 1 ] && echo "$stream_rps" || echo "$compare_rps")
    r=$(run_client "$target" "$pid" "$rate" "$mode" "$url" "$@")
    echo "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); r["phase"]="compare"; print(json.dumps(r))' >>"$work/runs.jsonl"
    log "$target at $rate req/s stream=$mode: $(echo "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["achieved_rps"], "achieved,", r["errors"], "errors, latency", r["latency_ms"], "ttft", r.get("ttft_ms"))')"
  done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# (1) Direct to a mock.
start_mock direct
measure direct "${pids[-1]}" "http://127.0.0.1:$mock_port/v1/chat/completions"

# (2) Through fleetgate: one region whose chain is the mock, one registered vehicle.
start_mock via-fleetgate
fg_port=$(free_port)
cat >"$work/fleetgate.toml" <<TOML
[server]
listen = "127.0.0.1"
port = $fg_port
threads = 2
data_dir = "$work/data"

[[regions]]
id = "eu"
name = "European Union"
chain = ["mock-eu"]

[markets]
DE = "eu"

[[providers]]
id = "mock-eu"
kind = "openai-compatible"
base_url = "http://127.0.0.1:$mock_port"
location = "eu"
models = ["mock-model"]
TOML
vin=LRW3E7EA8PC390117
"$fleetgate" -c "$work/fleetgate.toml" fleet register "$vin" --market DE >/dev/null
token=$("$fleetgate" -c "$work/fleetgate.toml" fleet token "$vin")
"$fleetgate" -c "$work/fleetgate.toml" serve >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for_port "$fg_port"
measure fleetgate "${pids[-1]}" "http://127.0.0.1:$fg_port/v1/chat/completions" --token "$token"

# (3) Through Portkey, headless, its OpenAI provider pointed at a mock.
if [ -f "$portkey" ] && command -v node >/dev/null; then
  start_mock via-portkey
  pk_port=$(free_port)
  NODE_ENV=production node "$portkey" --port="$pk_port" --headless >"$work/portkey.log" 2>&1 &
  pids+=($!)
  wait_for_port "$pk_port"
  measure portkey "${pids[-1]}" "http://127.0.0.1:$pk_port/v1/chat/completions" --token mock-key \
    --header "x-portkey-provider: openai" --header "x-portkey-custom-host: http://127.0.0.1:$mock_port/v1"
else
  log "portkey skipped: run ./dev bench (npm ci in bench/portkey) with node installed"
fi

python3 - "$work/runs.jsonl" "$results/gateway.json" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$compare_rps" "$stream_rps" "$p99_limit" <<'PY'
import json, os, platform, sys
runs_file, out, load_before, load_after = sys.argv[1:5]
compare_rps, stream_rps, p99_limit = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
runs = [json.loads(l) for l in open(runs_file)]
targets = [t for t in ("direct", "fleetgate", "portkey") if any(r["target"] == t for r in runs)]

def sustained(r):
    return r["errors"] == 0 and r["achieved_rps"] >= 0.95 * r["offered_rps"] and r["latency_ms"].get("p99", 1e9) <= p99_limit

def max_rps(t, keep):
    ok = [r["achieved_rps"] for r in runs if r["target"] == t and r["phase"] == "ramp" and keep(r)]
    return max(ok) if ok else 0

def diff(a, b, q):  # a[q] - b[q] in ms, None when either run answered nothing
    return round(a[q] - b[q], 3) if q in a and q in b else None

def compare(t, stream):
    return next(r for r in runs if r["target"] == t and r["phase"] == "compare" and r["stream"] == stream)

summary = {}
for t in targets:
    plain, streamed = compare(t, False), compare(t, True)
    lowest = min((r for r in runs if r["target"] == t and r["phase"] == "ramp"), key=lambda r: r["offered_rps"])
    s = {"max_sustained_rps": max_rps(t, sustained), "peak_rps": max_rps(t, lambda r: True),
         # server CPU per answered request at the lowest ramp rate, where nothing queues or times out
         "server_cpu_us_per_request": round(lowest["server_cpu_seconds"] * 1e6 / max(lowest["ok"], 1), 1),
         "at_compare_rps": {"achieved_rps": plain["achieved_rps"], "errors": plain["errors"], "latency_ms": plain["latency_ms"]},
         "stream": {"achieved_rps": streamed["achieved_rps"], "errors": streamed["errors"], "ttft_ms": streamed.get("ttft_ms", {}),
                    "latency_ms": streamed["latency_ms"]}}
    if t != "direct":
        d = summary["direct"]
        s["added_ms"] = {q: diff(plain["latency_ms"], d["at_compare_rps"]["latency_ms"], q) for q in ("p50", "p90", "p99")}
        s["ttft_added_ms"] = {q: diff(streamed.get("ttft_ms", {}), d["stream"]["ttft_ms"], q) for q in ("p50", "p99")}
    summary[t] = s

targets_met = {}
if "fleetgate" in summary:
    f = summary["fleetgate"]
    targets_met["p99_added_under_0.5ms_at_compare_rps"] = f["at_compare_rps"]["errors"] == 0 and (f["added_ms"]["p99"] or 1e9) < 0.5
    targets_met["ttft_overhead_under_1ms_p50"] = (f["ttft_added_ms"]["p50"] or 1e9) < 1.0
    if "portkey" in summary:
        p = summary["portkey"]
        key = "max_sustained_rps" if p["max_sustained_rps"] > 0 else "peak_rps"
        targets_met[f"throughput_at_least_10x_portkey ({key})"] = f[key] >= 10 * p[key]
        targets_met["cpu_per_request_at_most_1/10_of_portkey"] = \
            10 * f["server_cpu_us_per_request"] <= p["server_cpu_us_per_request"]
doc = {"scenario": "assistant gateway overhead, loopback, zero-latency mock upstream, open-loop fleetgate bench-client",
       "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "load_avg_before": load_before, "load_avg_after": load_after,
                "note": "cores shared with other workloads; client, mock and gateway all run on this host"},
       "compare_rps": compare_rps, "stream_rps": stream_rps, "p99_limit_ms": p99_limit,
       "summary": summary, "targets_met": targets_met, "runs": runs}
json.dump(doc, open(out, "w"), indent=2)

def fmt(v):
    return "–" if v is None else f"{v:g}"
print(f"| target | max sustained (peak) req/s | p50 / p99 ms at {compare_rps:g} req/s | added p50 / p99 ms | TTFT p50 / p99 ms at {stream_rps:g} req/s | added TTFT p50 ms | server CPU µs/req |")
print("|---|---|---|---|---|---|---|")
for t in targets:
    s = summary[t]
    lat, ttft = s["at_compare_rps"]["latency_ms"], s["stream"]["ttft_ms"]
    added = s.get("added_ms")
    errs = s["at_compare_rps"]["errors"]
    print(f"| {t} | {s['max_sustained_rps']:g} ({s['peak_rps']:g}) | {fmt(lat.get('p50'))} / {fmt(lat.get('p99'))}{f' ({errs} errors)' if errs else ''} | "
          f"{fmt(added['p50']) + ' / ' + fmt(added['p99']) if added else '–'} | {fmt(ttft.get('p50'))} / {fmt(ttft.get('p99'))} | "
          f"{fmt(s.get('ttft_added_ms', {}).get('p50'))} | {s['server_cpu_us_per_request']:g} |")
print(f"\nload average before/after: {load_before} / {load_after}; targets met: {json.dumps(targets_met)}")
PY
