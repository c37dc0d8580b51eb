#!/usr/bin/env bash
# `./dev run`: fleetgate on the embedded default with the demo fleet, and the product's story told
# against it in a few minutes of output: each region's car answered by its own region's provider,
# a failover when that provider goes down, a trunk-open refused while the car moves, a cn-only
# operator who cannot see an eu car, simulated cars streaming telemetry, an owner reading their
# car's data and sharing a field with an insurer, a DPO's erasure, and the console with a ready
# sign-in token. Then it serves until Ctrl-C.
#   tools/run-demo.sh FLEETGATE_BINARY CONFIG
#
# Without DEEPSEEK_API_KEY and XAI_API_KEY the providers cannot be reached, so the demo stands a
# local OpenAI-compatible mock (tests/mock_upstream, built with fleetgate) in for each, at the
# provider's place in its region's chain, in a copy of CONFIG under the data dir; it says so.
set -euo pipefail
bin=$1
config=$(realpath "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
mock="$(dirname "$bin")/../../tests/mock_upstream/mock-upstream"
port=$(grep -E '^port *=' "$config" | head -1 | tr -dc '0-9')
port=${port:-8080}
url="http://127.0.0.1:$port"
data=$(cd "$(dirname "$config")" && realpath -m "$(sed -n 's/^data_dir *= *"\(.*\)".*/\1/p' "$config" | head -1)")
demo="$data/demo"
mkdir -p "$demo"

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# The command as one would type it: arguments with spaces or quotes in single quotes.
shown() {
  local a line='$'
  for a in "$@"; do
    case $a in
      *[!A-Za-z0-9_./:=@,+-]*) line+=" '${a//\'/\'\\\'\'}'" ;;
      *) line+=" $a" ;;
    esac
  done
  printf '%s\n' "$line"
}
# The status line, fleetgate's headers and the body of `curl -si ARGS`.
ask() {
  shown curl -si "$@"
  curl -si --max-time 30 "$@" | tr -d '\r' | grep -E '^(HTTP/|x-fleetgate-(provider|region|ai-label)|x-request-id|\{|data: \{)' | cut -c1-400 || true
}

# Stand-ins for the providers when their keys are missing: the demo's own copy of the config.
stand_ins=""
if [ -z "${DEEPSEEK_API_KEY:-}" ] && [ -z "${XAI_API_KEY:-}" ] && [ -x "$mock" ]; then
  start_mock() {  # IDENTITY LOCATION MODEL
    "$mock" --identity "$1" --location "$2" --model "$3" --port 0 >"$demo/mock-$1.log" 2>&1 &
    pids+=($!)
  }
  port_of_mock() {  # IDENTITY: the port its log names once it listens
    for _ in $(seq 100); do
      grep -q 'listening on' "$demo/mock-$1.log" 2>/dev/null && break
      sleep 0.1
    done
    sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$demo/mock-$1.log"
  }
  start_mock deepseek cn deepseek-chat
  deepseek_pid=${pids[-1]}
  start_mock xai us grok-4
  deepseek_port=$(port_of_mock deepseek)
  xai_port=$(port_of_mock xai)
  sed -e "s|^data_dir *= *\".*\"|data_dir = \"$data\"|" \
      -e "s|^base_url = \"https://api.deepseek.com\"|base_url = \"http://127.0.0.1:$deepseek_port\"|" \
      -e "s|^base_url = \"https://api.x.ai\"|base_url = \"http://127.0.0.1:$xai_port\"|" \
      -e "s|^base_url = \"https://eu-west-1.api.x.ai\"|base_url = \"http://127.0.0.1:$xai_port\"|" \
      "$config" >"$demo/fleetgate.toml"
  cp "$(dirname "$config")/ledger.toml" "$demo/ledger.toml"
  config="$demo/fleetgate.toml"
  export DEEPSEEK_API_KEY=demo-stand-in XAI_API_KEY=demo-stand-in
  stand_ins="DEEPSEEK_API_KEY and XAI_API_KEY are not set: local mock providers stand in for DeepSeek
  (127.0.0.1:$deepseek_port, in cn's chain) and Grok (127.0.0.1:$xai_port, in us's and eu's), in
  the demo's copy of the config, $config. Set the keys to reach the real ones."
fi
export FLEETGATE_CONFIG=$config
fg() { "$bin" "$@"; }

if [ "$(fg fleet list --limit 1 | wc -l)" -le 1 ]; then   # header only: empty registry
  fg fleet import "$root/config/demo-fleet.csv" >/dev/null
fi
fg user list | grep -q '^demo-operator' || fg user add demo-operator --role operator --role auditor --region '*' >/dev/null
fg user list | grep -q '^cn-operator' || fg user add cn-operator --role operator --region cn >/dev/null
fg user list | grep -q '^demo-dpo' || fg user add demo-dpo --role dpo --region '*' >/dev/null
operator_token=$(fg user token demo-operator)
cn_operator_token=$(fg user token cn-operator)
dpo_token=$(fg user token demo-dpo)
eu_vin=LRW3E7EA8PC390117   # Shanghai-built Model 3 sold in Germany: home region eu
cn_vin=LRW3E7FAXPC245871   # Shanghai-built Model 3 sold in China: home region cn
eu_token=$(fg fleet token "$eu_vin")
cn_token=$(fg fleet token "$cn_vin")

"$bin" serve >"$demo/serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 600); do
  grep -q 'fleetgate listening on' "$demo/serve.log" 2>/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$demo/serve.log" >&2; exit 1; }
  sleep 0.1
done
bearer() { printf 'Authorization: Bearer %s' "$1"; }

say "fleetgate on $url: three regions (cn, us, eu) on one machine, the demo fleet registered"
[ -z "$stand_ins" ] || printf '%s\n' "$stand_ins"

say "1. Each car is answered inside its own region: the cn car by DeepSeek, the eu car by Grok in the EU"
ask -H "$(bearer "$cn_token")" "$url/v1/chat/completions" \
    -d '{"model":"deepseek-chat","messages":[{"role":"user","content":"把温度调到21度"}]}'
ask -H "$(bearer "$eu_token")" "$url/v1/chat/completions" \
    -d '{"model":"grok-4","messages":[{"role":"user","content":"Temperatur auf 21 Grad"}]}'

say "2. DeepSeek goes down: the cn car fails over inside cn's chain, to the on-board engine, never abroad"
if [ -n "$stand_ins" ]; then
  kill "$deepseek_pid"
  wait "$deepseek_pid" 2>/dev/null || true
  shown kill "$deepseek_pid"   # DeepSeek's stand-in
  ask -H "$(bearer "$cn_token")" "$url/v1/chat/completions" \
      -d '{"model":"deepseek-chat","messages":[{"role":"user","content":"把温度调到21度"}]}'
  sleep 1.2   # the log is written out every second
  grep -m1 'assistant failover' "$demo/serve.log" | cut -c1-300 || true
  curl -s "$url/metrics" | grep '^fleetgate_assistant_failovers_total' || true
else
  echo "(skipped: with the real providers the demo does not take one down)"
fi

say "3. The cn car drives at 50 km/h: the assistant's trunk-open is refused by the safety interlock"
ask -H "$(bearer "$cn_token")" "$url/v1/vehicles/$cn_vin/state" -d '{"speed_kmh":50,"gear":"D"}'
ask -H "$(bearer "$cn_token")" "$url/v1/chat/completions" \
    -d '{"model":"deepseek-chat","messages":[{"role":"user","content":"打开后备箱"}]}'
sleep 1.2   # the log is written out every second
grep -m1 'assistant refused tool call' "$demo/serve.log" | cut -c1-300 || true

say "4. An operator of cn only asks for the eu car: 404, as if it did not exist"
ask -H "$(bearer "$cn_operator_token")" "$url/v1/vehicles/$eu_vin"
ask -H "$(bearer "$cn_operator_token")" "$url/v1/vehicles/$cn_vin"

say "5. Six simulated cars, two per region, stream telemetry for 3 s, each driving in its own region"
rm -f "$demo/sim-tokens"
shown fleetgate sim fleet --vehicles 6 --first-serial 900001 --tokens "$demo/sim-tokens"
fg sim fleet --vehicles 6 --first-serial 900001 --tokens "$demo/sim-tokens"
shown fleetgate sim run --tokens "$demo/sim-tokens" --url "ws://127.0.0.1:$port/v1/telemetry/ws" --rate 5 --duration 3
fg sim run --tokens "$demo/sim-tokens" --url "ws://127.0.0.1:$port/v1/telemetry/ws" --rate 5 --duration 3
for region in cn eu; do
  vin=$(fg fleet list --region "$region" | awk -v r="$region" 'NR > 1 && $0 ~ /sim/ {print $1; exit}')
  [ -n "$vin" ] || continue
  shown fleetgate telemetry query "$vin" --as-region "$region" --limit 2 --fields speed,gear,location
  fg telemetry query "$vin" --as-region "$region" --limit 2 --fields speed,gear,location
done

say "6. The owner of an eu car reads what is kept about it, in eu, and shares its speed with an insurer"
mapfile -t eu_sims < <(fg fleet list --region eu | awk 'NR > 1 && $0 ~ /sim/ {print $1}')
if [ "${#eu_sims[@]}" -ge 2 ]; then
  owned=${eu_sims[0]}
  shown fleetgate vehicle owner-token "$owned"
  owner_token=$(fg vehicle owner-token "$owned")
  shown curl -s -H "$(bearer "$owner_token")" "$url/v1/vehicles/$owned/data?part=telemetry&format=csv"
  curl -s --max-time 30 -H "$(bearer "$owner_token")" "$url/v1/vehicles/$owned/data?part=telemetry&format=csv" | head -5
  expires=$(( ($(date +%s) + 86400) * 1000 ))
  grant_body="{\"grantee\":\"demo insurer\",\"fields\":[\"speed\"],\"expires_ms\":$expires}"
  shown curl -s -H "$(bearer "$owner_token")" -H 'Content-Type: application/json' "$url/v1/vehicles/$owned/grants" -d "$grant_body"
  granted=$(curl -s --max-time 30 -H "$(bearer "$owner_token")" -H 'Content-Type: application/json' \
                 "$url/v1/vehicles/$owned/grants" -d "$grant_body")
  printf '%s\n' "$granted" | cut -c1-400
  grant_token=$(printf '%s' "$granted" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  echo "(the insurer's token reads the speed, and nothing else:)"
  shown curl -s -H "$(bearer "$grant_token")" "$url/v1/vehicles/$owned/data?part=telemetry&format=csv"
  curl -s --max-time 30 -H "$(bearer "$grant_token")" "$url/v1/vehicles/$owned/data?part=telemetry&format=csv" | head -3

  say "7. A DPO erases the other eu car: its data key is destroyed, so even backups of its data stay sealed"
  erased=${eu_sims[1]}
  ask -H "$(bearer "$dpo_token")" -H 'Content-Type: application/json' "$url/v1/vehicles/$erased/erase" \
      -d '{"reason":"owner request (demo)"}'
  shown fleetgate telemetry query "$erased" --as-region eu --limit 2
  fg telemetry query "$erased" --as-region eu --limit 2 || true
  shown fleetgate audit tail -n 1
  fg audit tail -n 1 | cut -c1-300 || true
else
  echo "(skipped: the simulated eu cars are missing)"
fi

say "8. The operator console"
cat <<INFO
  console    $url/console   sign in with the operator token below
  operator   $operator_token   (operator and auditor in every region)
  cn only    $cn_operator_token
  vehicles   $eu_vin (eu) token $eu_token
             $cn_vin (cn) token $cn_token
  health     $url/healthz    metrics $url/metrics    API $url/openapi.json
  log        $demo/serve.log

fleetgate serves until Ctrl-C. More to try:
  curl -s -H 'Authorization: Bearer $operator_token' '$url/v1/vehicles?region=eu'
  curl -s -N -H 'Authorization: Bearer $cn_token' $url/v1/chat/completions \\
       -d '{"model":"deepseek-chat","stream":true,"messages":[{"role":"user","content":"把温度调到21度"}]}'
  FLEETGATE_CONFIG=$config $bin audit verify
INFO
wait "$serve_pid"
