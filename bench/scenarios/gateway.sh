#!/usr/bin/env bash
# Assistant gateway overhead on loopback against the zero-latency mock upstream, with the open-loop
# `fleetgate bench-client`: (1) straight to the mock, (2) through `fleetgate serve`, (3) through
# Portkey's open-source gateway (bench/portkey, installed by ./dev bench; skipped without node),
# (4) through nginx as a bare reverse proxy (keep-alive upstream, no parsing of the body): the floor
# of what one proxy hop costs on this machine (Debian nginx-light, installed by ./dev bench;
# skipped without it). Each target gets its own mock, and all of them run from the start.
# Per target: rates ramp up until the target saturates (errors, or under 95% of the offered rate
# achieved); "max sustained" is the best run that also kept p99 within P99_LIMIT_MS, "peak" the
# best achieved rate. Then ROUNDS rounds of fixed-rate runs, every target once per round, at
# COMPARE_RPS (non-stream) and STREAM_RPS (stream, time to first token). A target's latency is the
# median over rounds of each quantile; its added latency the median over rounds of its quantile
# minus the direct run's of the same round, so a noisy moment of the machine weighs one round and
# hits the targets alike. Writes RESULTS_DIR/gateway.json and prints a markdown table.
# With PIN=1 (the default on 2+ cores) the proxies run on cores of their own, as they would on
# their own hosts: CPU 0 runs the client and the mocks, the other CPUs the proxy under test, with
# as many I/O threads (nginx workers) as it has CPUs. PIN=0 lets everything share every core,
# with 2 I/O threads each.
#   bench/scenarios/gateway.sh BUILD_DIR RESULTS_DIR
#   env: SECONDS_PER_RUN (5), CONNECTIONS (64), COMPARE_RPS (5000), STREAM_RPS (1000), ROUNDS (5),
#        RATES ("100 250 500 1000 2000 5000 10000 15000 20000 30000 40000"), P99_LIMIT_MS (10), PIN
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
rounds=${ROUNDS:-5}
[ -x "$mock" ] || { echo "gateway.sh: missing $mock (build the mock-upstream target)" >&2; exit 1; }
ticks=$(getconf CLK_TCK)
log() { echo "[gateway] $*" >&2; }

cpus=$(nproc)
pin=${PIN:-$([ "$cpus" -ge 2 ] && echo 1 || echo 0)}
if [ "$pin" = 1 ]; then
  [ "$cpus" -ge 2 ] || { echo "gateway.sh: PIN=1 needs 2 or more CPUs" >&2; exit 1; }
  on_load=(taskset -c 0)
  on_proxy=(taskset -c "1-$((cpus - 1))")
  proxy_threads=$((cpus - 1))
else
  on_load=()
  on_proxy=()
  proxy_threads=2
fi

# start_mock NAME: a mock upstream located in eu on a free port; sets mock_port.
start_mock() {
  mock_port=$(free_port)
  "${on_load[@]}" "$mock" --identity "$1" --location eu --port "$mock_port" --model mock-model >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_for_port "$mock_port"
}

# cpu_ticks "PID...": user + system CPU ticks of these processes so far.
cpu_ticks() {
  local p total=0
  for p in $1; do total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$total"
}

# One bench-client run; prints its JSON summary with the target's name and server CPU added.
# run_client TARGET "SERVER_PID..." RATE STREAM(0|1) URL [bench-client args...]
run_client() {
  local target=$1 pid=$2 rate=$3 stream=$4 url=$5
  shift 5
  local flags=(--rate "$rate" --duration "$seconds" --connections "$connections" --json --url "$url")
  [ "$stream" = 1 ] && flags+=(--stream)
  local cpu0 cpu1 out
  cpu0=$(cpu_ticks "$pid")
  out=$("${on_load[@]}" "$fleetgate" bench-client "${flags[@]}" "$@")
  cpu1=$(cpu_ticks "$pid")
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

# add_target NAME "SERVER_PID..." URL [bench-client args...]: a target for the ramp and the rounds.
order=()
declare -A target_pids target_url
add_target() {
  local name=$1
  order+=("$name")
  target_pids[$name]=$2
  target_url[$name]=$3
  shift 3
  local -n extra="args_$name"
  extra=("$@")
}

# record PHASE ROUND JSON: appends one run to runs.jsonl.
record() {
  echo "$3" | python3 -c 'import json,sys; r=json.load(sys.stdin); r["phase"]=sys.argv[1]; r["round"]=int(sys.argv[2]); print(json.dumps(r))' \
    "$1" "$2" >>"$work/runs.jsonl"
}

ramp() {
  local t=$1 rate r
  local -n extra="args_$t"
  for rate in $rates; do
    r=$(run_client "$t" "${target_pids[$t]}" "$rate" 0 "${target_url[$t]}" "${extra[@]}")
    record ramp 0 "$r"
    log "$t ramp $rate req/s: $(echo "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["achieved_rps"], "achieved,", r["errors"], "errors, p99", r["latency_ms"].get("p99"), "ms")')"
    unsaturated "$r" || break
  done
}

compare_round() {
  local t=$1 round=$2 mode rate r
  local -n extra="args_$t"
  for mode in 0 1; do
    rate=$([ "$mode" = 1 ] && echo "$stream_rps" || echo "$compare_rps")
    r=$(run_client "$t" "${target_pids[$t]}" "$rate" "$mode" "${target_url[$t]}" "${extra[@]}")
    record compare "$round" "$r"
    log "round $round: $t at $rate req/s stream=$mode: $(echo "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["achieved_rps"], "achieved,", r["errors"], "errors, latency", r["latency_ms"], "ttft", r.get("ttft_ms"))')"
  done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# (1) Direct to a mock.
start_mock direct
add_target direct "${pids[-1]}" "http://127.0.0.1:$mock_port/v1/chat/completions"

# (2) Through fleetgate: one region whose chain is the mock, one registered vehicle.
start_mock via-fleetgate
fg_port=$(free_port)
mock_gateway_config "$fg_port" "$proxy_threads" "$work/data" "$mock_port" >"$work/fleetgate.toml"
vin=LRW3E7EA8PC390117
"$fleetgate" -c "$work/fleetgate.toml" fleet register "$vin" --market DE >/dev/null
token=$("$fleetgate" -c "$work/fleetgate.toml" fleet token "$vin")
"${on_proxy[@]}" "$fleetgate" -c "$work/fleetgate.toml" serve >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for_port "$fg_port"
add_target fleetgate "${pids[-1]}" "http://127.0.0.1:$fg_port/v1/chat/completions" --token "$token" \
  --header-stat x-fleetgate-overhead-us

# (3) Through Portkey, headless, its OpenAI provider pointed at a mock.
if [ -f "$portkey" ] && command -v node >/dev/null; then
  start_mock via-portkey
  pk_port=$(free_port)
  NODE_ENV=production "${on_proxy[@]}" node "$portkey" --port="$pk_port" --headless >"$work/portkey.log" 2>&1 &
  pids+=($!)
  wait_for_port "$pk_port"
  add_target portkey "${pids[-1]}" "http://127.0.0.1:$pk_port/v1/chat/completions" --token mock-key \
    --header "x-portkey-provider: openai" --header "x-portkey-custom-host: http://127.0.0.1:$mock_port/v1"
else
  log "portkey skipped: run ./dev bench (npm ci in bench/portkey) with node installed"
fi

# (4) Through nginx: as many workers as fleetgate has I/O threads, pooled keep-alive connections
# to the mock, unbuffered relay (what SSE needs), an access log buffered like fleetgate's.
if command -v nginx >/dev/null; then
  start_mock via-nginx
  ngx_port=$(free_port)
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes $proxy_threads;
daemon off;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log $work/nginx/access.log combined buffer=64k flush=1s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  scgi_temp_path $work/nginx/scgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  upstream mock { server 127.0.0.1:$mock_port; keepalive 128; }
  server {
    listen 127.0.0.1:$ngx_port;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
  "${on_proxy[@]}" nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
  pids+=($!)
  wait_for_port "$ngx_port"
  sleep 0.2  # its workers start after the master listens
  add_target nginx "$(pgrep -P "${pids[-1]}" | tr '\n' ' ')" "http://127.0.0.1:$ngx_port/v1/chat/completions"
else
  log "nginx skipped: run ./dev bench (installs nginx-light)"
fi

for t in "${order[@]}"; do ramp "$t"; done
for round in $(seq 1 "$rounds"); do
  for t in "${order[@]}"; do compare_round "$t" "$round"; done
done

python3 - "$work/runs.jsonl" "$results/gateway.json" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$compare_rps" "$stream_rps" "$p99_limit" "$pin" "$proxy_threads" <<'PY'
import json, os, platform, sys
runs_file, out, load_before, load_after = sys.argv[1:5]
compare_rps, stream_rps, p99_limit = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
pinned, proxy_threads = sys.argv[8] == "1", int(sys.argv[9])
runs = [json.loads(l) for l in open(runs_file)]
targets = [t for t in ("direct", "fleetgate", "portkey", "nginx") if any(r["target"] == t for r in runs)]

def sustained(r):
    return r["errors"] == 0 and r["achieved_rps"] >= 0.95 * r["offered_rps"] and r["latency_ms"].get("p99", 1e9) <= p99_limit

def max_rps(t, keep):
    ok = [r["achieved_rps"] for r in runs if r["target"] == t and r["phase"] == "ramp" and keep(r)]
    return max(ok) if ok else 0

def median(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    mid = len(v) // 2
    return round(v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2, 3)

def rounds_of(t, stream):  # round -> that round's compare run
    return {r["round"]: r for r in runs if r["target"] == t and r["phase"] == "compare" and r["stream"] == stream}

def quantiles(by_round, key):  # each quantile's median over the rounds
    return {q: median(r.get(key, {}).get(q) for r in by_round.values()) for q in ("p50", "p90", "p99", "p999")}

def added(by_round, direct, key, qs):  # median over rounds of (this target's quantile - direct's, same round)
    def minus(r, d, q):
        a, b = r.get(key, {}).get(q), d.get(key, {}).get(q)
        return None if a is None or b is None else a - b
    return {q: median(minus(r, direct[n], q) for n, r in by_round.items() if n in direct) for q in qs}

summary = {}
for t in targets:
    plain, streamed = rounds_of(t, False), rounds_of(t, True)
    lowest = min((r for r in runs if r["target"] == t and r["phase"] == "ramp"), key=lambda r: r["offered_rps"])
    s = {"max_sustained_rps": max_rps(t, sustained), "peak_rps": max_rps(t, lambda r: True),
         # server CPU per answered request at the lowest ramp rate, where nothing queues or times out
         "server_cpu_us_per_request": round(lowest["server_cpu_seconds"] * 1e6 / max(lowest["ok"], 1), 1),
         "rounds": len(plain),
         "at_compare_rps": {"achieved_rps": median(r["achieved_rps"] for r in plain.values()),
                            "errors": sum(r["errors"] for r in plain.values()), "latency_ms": quantiles(plain, "latency_ms"),
                            "server_cpu_us_per_request": median(round(r["server_cpu_seconds"] * 1e6 / max(r["ok"], 1)) for r in plain.values())},
         "stream": {"achieved_rps": median(r["achieved_rps"] for r in streamed.values()),
                    "errors": sum(r["errors"] for r in streamed.values()),
                    "ttft_ms": quantiles(streamed, "ttft_ms"), "latency_ms": quantiles(streamed, "latency_ms")}}
    if any("header_stat" in r for r in plain.values()):  # the gateway's own time per request, by its header
        s["own_overhead_us"] = quantiles(plain, "header_stat")
    if t != "direct":
        s["added_ms"] = added(plain, rounds_of("direct", False), "latency_ms", ("p50", "p90", "p99"))
        s["ttft_added_ms"] = added(streamed, rounds_of("direct", True), "ttft_ms", ("p50", "p99"))
    summary[t] = s

targets_met = {}
if "fleetgate" in summary:
    f = summary["fleetgate"]
    targets_met["p99_added_under_0.5ms_at_compare_rps"] = f["at_compare_rps"]["errors"] == 0 and f["added_ms"]["p99"] is not None and f["added_ms"]["p99"] < 0.5
    targets_met["ttft_overhead_under_1ms_p50"] = f["ttft_added_ms"]["p50"] is not None and f["ttft_added_ms"]["p50"] < 1.0
    if "portkey" in summary:
        p = summary["portkey"]
        key = "max_sustained_rps" if p["max_sustained_rps"] > 0 else "peak_rps"
        targets_met[f"throughput_at_least_10x_portkey ({key})"] = f[key] >= 10 * p[key]
        targets_met["cpu_per_request_at_most_1/10_of_portkey"] = \
            10 * f["server_cpu_us_per_request"] <= p["server_cpu_us_per_request"]
doc = {"scenario": "assistant gateway overhead, loopback, zero-latency mock upstream, open-loop fleetgate bench-client",
       "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "load_avg_before": load_before, "load_avg_after": load_after,
                "note": "client, mocks and proxies all run on this host"},
       "placement": {"pinned": pinned, "proxy_threads": proxy_threads,
                     "cpus": "client and mocks on CPU 0, the proxy under test on the others" if pinned else "all processes share all CPUs"},
       "compare_rps": compare_rps, "stream_rps": stream_rps, "p99_limit_ms": p99_limit,
       "summary": summary, "targets_met": targets_met, "runs": runs}
json.dump(doc, open(out, "w"), indent=2)

def fmt(v):
    return "–" if v is None else f"{v:g}"
lowest_rate = min(r["offered_rps"] for r in runs if r["phase"] == "ramp")
print(f"| target | max sustained (peak) req/s | p50 / p99 ms at {compare_rps:g} req/s | added p50 / p99 ms | TTFT p50 / p99 ms at {stream_rps:g} req/s | added TTFT p50 ms | server CPU µs/req at {lowest_rate:g} / {compare_rps:g} req/s |")
print("|---|---|---|---|---|---|---|")
for t in targets:
    s = summary[t]
    lat, ttft = s["at_compare_rps"]["latency_ms"], s["stream"]["ttft_ms"]
    plus = s.get("added_ms")
    errs = s["at_compare_rps"]["errors"]
    print(f"| {t} | {s['max_sustained_rps']:g} ({s['peak_rps']:g}) | {fmt(lat.get('p50'))} / {fmt(lat.get('p99'))}{f' ({errs} errors)' if errs else ''} | "
          f"{fmt(plus['p50']) + ' / ' + fmt(plus['p99']) if plus else '–'} | {fmt(ttft.get('p50'))} / {fmt(ttft.get('p99'))} | "
          f"{fmt(s.get('ttft_added_ms', {}).get('p50'))} | {s['server_cpu_us_per_request']:g} / {fmt(s['at_compare_rps']['server_cpu_us_per_request'])} |")
if "own_overhead_us" in summary.get("fleetgate", {}):
    o = summary["fleetgate"]["own_overhead_us"]
    print(f"\nfleetgate's own time per request at {compare_rps:g} req/s (x-fleetgate-overhead-us, outside the provider call): "
          f"p50 {fmt(o['p50'])} µs, p99 {fmt(o['p99'])} µs, p99.9 {fmt(o['p999'])} µs")
print(f"\nmedians over {summary['direct']['rounds']} rounds; load average before/after: {load_before} / {load_after}; targets met: {json.dumps(targets_met)}")
PY
