#!/usr/bin/env bash
# Generates one SUMO traffic scenario per region, reproducibly from a seed, for in-region
# curation and training on simulated fleet data (fleetgate sim replay → train curate).
#   tools/sumo-scenarios.sh --out DIR [--size ci|bench] [--seed N] [--regions "cn us eu"] [--demand R=F,...]
# --demand us=0.2 scales region us's trip rate by 0.2 (same duration and network; every other
# region keeps 1), e.g. to make one region data-poor for federated learning. Same seed, same output.
# Regions differ on purpose: cn a signalised grid at 50 km/h, us a random arterial net at 80 km/h,
# eu a spider (ring-and-radial) net at 60 km/h; demand, driver imperfection (sigma) and short
# yellow phases give real hard-braking events. Per region DIR/<region>/ holds net.net.xml,
# vtypes.add.xml, trips.trips.xml, fcd.xml (time, x, y, speed, angle, acceleration per vehicle
# per second) and scenario.env (REGION, ORIGIN_LAT, ORIGIN_LON, VEHICLES, SEED, SIZE, DEMAND).
# Needs the Debian packages sumo and sumo-tools. Output is generated data: never commit it.
set -euo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { printf 'sumo-scenarios: %s\n' "$*" >&2; exit 1; }

out="" size="ci" seed=1 regions="cn us eu" demand=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:-}"; shift 2 ;;
    --size) size="${2:-}"; shift 2 ;;
    --seed) seed="${2:-}"; shift 2 ;;
    --regions) regions="${2:-}"; shift 2 ;;
    --demand) demand="${2:-}"; shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$out" ] || die "--out DIR is required"
[[ "$seed" =~ ^[0-9]+$ ]] || die "--seed must be a non-negative integer"
# region → demand factor, from "R=F,R=F"; factors are positive decimals.
declare -A demand_factor=()
IFS=',' read -r -a demand_items <<<"$demand"
for item in "${demand_items[@]}"; do
  [[ "$item" =~ ^([a-z]+)=([0-9]+(\.[0-9]+)?)$ ]] && python3 -c "import sys; sys.exit(not float('${BASH_REMATCH[2]}') > 0)" \
    || die "--demand takes REGION=FACTOR[,REGION=FACTOR...] with factors > 0, not '$item'"
  demand_factor[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done
case "$size" in
  # duration (s), trip period (s, lower = more demand), grid junctions per side, spider circles, random iterations
  ci) duration=240 period_scale=10 grid=5 circles=4 rand_iter=60 ;;
  bench) duration=1800 period_scale=3 grid=12 circles=9 rand_iter=400 ;;
  *) die "--size must be ci or bench" ;;
esac
for tool in netgenerate sumo python3; do
  command -v "$tool" >/dev/null || die "$tool not found (install the Debian packages sumo and sumo-tools)"
done
export SUMO_HOME="${SUMO_HOME:-/usr/share/sumo}"
random_trips="$SUMO_HOME/tools/randomTrips.py"
[ -f "$random_trips" ] || die "$random_trips not found (install sumo-tools or set SUMO_HOME)"

# Vehicle types: a calm majority and an aggressive minority (short headway, high imperfection,
# late hard braking), drawn per vehicle from one distribution.
write_vtypes() {
  cat > "$1" <<'XML'
<additional>
  <vTypeDistribution id="mix">
    <vType id="calm" probability="0.7" accel="2.6" decel="4.5" emergencyDecel="9" sigma="0.5" tau="1.2" speedFactor="normc(1.0,0.1,0.7,1.3)"/>
    <vType id="aggressive" probability="0.3" accel="3.5" decel="7.5" emergencyDecel="9" sigma="0.9" tau="0.6" speedFactor="normc(1.2,0.1,0.9,1.5)"/>
  </vTypeDistribution>
</additional>
XML
}

# region → network options, speed limit (m/s), base trip period (s), the origin that x/y metres
# are projected around when the FCD is replayed, and a number that keeps its seed independent of
# which other regions are generated.
region_setup() {
  case "$1" in
    cn) net_opts=(--grid --grid.number "$grid" --grid.length 150 -j traffic_light -L 2)
        speed=13.89 base_period=12 origin_lat=31.2304 origin_lon=121.4737 region_number=0 ;;
    us) net_opts=(--rand --rand.iterations "$rand_iter" --rand.min-distance 150 --rand.max-distance 400
                  --random-lanenumber -L 3 --tls.guess)
        speed=22.22 base_period=15 origin_lat=37.3349 origin_lon=-121.8881 region_number=1 ;;
    eu) net_opts=(--spider --spider.arm-number 7 --spider.circle-number "$circles" --spider.space-radius 120
                  -j traffic_light -L 1)
        speed=16.67 base_period=12 origin_lat=48.1372 origin_lon=11.5756 region_number=2 ;;
    *) die "unknown region '$1' (cn, us or eu)" ;;
  esac
}

for region in "${!demand_factor[@]}"; do
  [[ " $regions " == *" $region "* ]] || die "--demand names region '$region', which is not generated"
done

mkdir -p "$out"
for region in $regions; do
  region_setup "$region"
  factor=${demand_factor[$region]:-1}
  dir="$out/$region"
  mkdir -p "$dir"
  rseed=$((seed * 101 + region_number))
  netgenerate "${net_opts[@]}" --default.speed "$speed" --tls.yellow.time 2 --seed "$rseed" \
    --no-turnarounds true --output-file "$dir/net.net.xml" >"$dir/netgenerate.log" 2>&1 \
    || die "netgenerate failed for $region (see $dir/netgenerate.log)"
  write_vtypes "$dir/vtypes.add.xml"
  period=$(python3 -c "print(round($base_period / ($period_scale * $factor), 3))")
  python3 "$random_trips" -n "$dir/net.net.xml" -o "$dir/trips.trips.xml" -b 0 -e $((duration * 2 / 3)) \
    --period "$period" --seed "$rseed" --fringe-factor 5 --min-distance 300 \
    --trip-attributes 'type="mix" departLane="best" departSpeed="max"' >"$dir/randomTrips.log" 2>&1 \
    || die "randomTrips.py failed for $region (see $dir/randomTrips.log)"
  sumo -n "$dir/net.net.xml" -a "$dir/vtypes.add.xml" -r "$dir/trips.trips.xml" --begin 0 --end "$duration" \
    --step-length 1 --seed "$rseed" --fcd-output "$dir/fcd.xml" --fcd-output.acceleration \
    --ignore-route-errors --time-to-teleport 120 --no-step-log --no-warnings \
    --duration-log.disable >"$dir/sumo.log" 2>&1 \
    || die "sumo failed for $region (see $dir/sumo.log)"
  vehicles=$(grep -c '<trip ' "$dir/trips.trips.xml" || true)
  cat > "$dir/scenario.env" <<ENV
REGION=$region
ORIGIN_LAT=$origin_lat
ORIGIN_LON=$origin_lon
VEHICLES=$vehicles
SEED=$seed
SIZE=$size
DEMAND=$factor
ENV
  printf '%s: %s trips (demand x%s), %s s, fcd %s bytes -> %s\n' "$region" "$vehicles" "$factor" "$duration" \
    "$(stat -c %s "$dir/fcd.xml")" "$dir"
done
