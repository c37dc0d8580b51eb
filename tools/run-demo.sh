#!/usr/bin/env bash
# Starts `fleetgate serve` on the embedded default with the demo fleet, minting a demo operator
# token and two vehicle tokens so the printed curl examples work as they are.
#   tools/run-demo.sh FLEETGATE_BINARY CONFIG
set -euo pipefail
bin=$1
config=$2
export FLEETGATE_CONFIG=$config
root=$(cd "$(dirname "$0")/.." && pwd)
fg() { "$bin" "$@"; }

if [ "$(fg fleet list --limit 1 | wc -l)" -le 1 ]; then   # header only: empty registry
  fg fleet import "$root/config/demo-fleet.csv"
fi
if ! fg user list | grep -q '^demo-operator'; then
  fg user add demo-operator --role operator --role auditor --region '*' >/dev/null
fi
operator_token=$(fg user token demo-operator)
eu_vin=LRW3E7EA8PC390117   # Shanghai-built Model 3 sold in Germany: home region eu
cn_vin=LRW3E7FAXPC245871   # Shanghai-built Model 3 sold in China: home region cn
eu_token=$(fg fleet token "$eu_vin")
cn_token=$(fg fleet token "$cn_vin")
port=$(grep -E '^port *=' "$config" | head -1 | tr -dc '0-9')
url="http://127.0.0.1:${port:-8080}"

cat <<INFO

fleetgate demo on $url  (Ctrl-C stops it)
  health     $url/healthz    metrics $url/metrics
  console    $url/console    (sign in with the operator token)
  operator   token $operator_token
  vehicles   $eu_vin (eu) token $eu_token
             $cn_vin (cn) token $cn_token
  Provider keys: set DEEPSEEK_API_KEY / XAI_API_KEY to reach DeepSeek and Grok; without them
  each region fails over to the on-board engine inside its own chain.

Try:
  curl -s -H 'Authorization: Bearer $operator_token' '$url/v1/vehicles?region=eu'
  curl -s -H 'Authorization: Bearer $operator_token' $url/v1/vehicles/$cn_vin
  curl -s -H 'Authorization: Bearer $eu_token' $url/v1/chat/completions \\
       -d '{"model":"grok-4","messages":[{"role":"user","content":"Temperatur auf 21 Grad"}]}'
  curl -s -N -H 'Authorization: Bearer $cn_token' $url/v1/chat/completions \\
       -d '{"model":"deepseek-chat","stream":true,"messages":[{"role":"user","content":"把温度调到21度"}]}'
  curl -s -H 'Authorization: Bearer $eu_token' $url/v1/vehicles/$eu_vin/state -d '{"speed_kmh":0,"gear":"P"}'
  curl -s -H 'Authorization: Bearer $eu_token' $url/v1/chat/completions \\
       -d '{"model":"grok-4","messages":[{"role":"user","content":"open the trunk"}]}'
  $bin audit verify
INFO
exec "$bin" serve
