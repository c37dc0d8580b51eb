#!/usr/bin/env bash
# A throwaway 3-node NATS JetStream cluster (Debian's nats-server) for one region, on 127.0.0.1
# only, for tests and demos. Each server is tagged `region:<id>` (the streams' placement guard) and
# `node:<index>` (with `unique_tag: "node"`, so the 3 replicas of a stream land on 3 servers); the
# three are joined by cluster routes, with no gateways and no leafnodes, so no other region's
# servers can ever hold this region's data. Ports are free ones picked at start.
#   tools/nats-region.sh start DIR REGION   # waits for the JetStream meta leader; prints the
#                                           # comma-separated client URLs on stdout
#   tools/nats-region.sh stop DIR           # stops all three (idempotent)
#   tools/nats-region.sh kill DIR N         # SIGKILLs server N (0, 1 or 2), for fault tests
#   tools/nats-region.sh start-one DIR N    # starts server N again with its config and store
# Server N is named <region>-N; its config, pid file, log and store are DIR/N/.
set -euo pipefail
command -v nats-server >/dev/null || { echo "nats-region: nats-server not found (run ./dev setup)" >&2; exit 69; }
# NATS_NODES=1 runs a one-server cluster (the suite's many throwaway regions); default 3.
readonly NODES=${NATS_NODES:-3}
[[ $NODES == 1 || $NODES == 3 ]] || { echo "nats-region: NATS_NODES must be 1 or 3" >&2; exit 2; }

die() { echo "nats-region: $*" >&2; exit 1; }

pid_of() {
  local file=$1/$2/nats.pid
  [ -f "$file" ] && cat "$file"
}

running() {
  local pid
  pid=$(pid_of "$1" "$2") || return 1
  kill -0 "$pid" 2>/dev/null
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; fails after SECONDS.
wait_until() {
  local tries=$(($1 * 10)); shift
  while ! "$@"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || return 1
    sleep 0.1
  done
}

# Free loopback ports, all bound at once so the kernel hands out distinct ones.
free_ports() {
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

write_config() {
  local dir=$1 region=$2 n=$3 client=$4 route=$5 monitor=$6 routes=$7
  cat >"$dir/$n/nats.conf" <<EOF
server_name: "$region-$n"
listen: "127.0.0.1:$client"
http: "127.0.0.1:$monitor"
pid_file: "$dir/$n/nats.pid"
server_tags: ["region:$region", "node:$n"]
jetstream {
  store_dir: "$dir/$n/store"
  # Streams reserve their max_bytes (fleetgate's default: 64 GiB each) against this limit, not
  # the disk: a throwaway cluster takes them whatever its disk, and only what is written uses it.
  max_file_store: 1024G
  unique_tag: "node"
}
EOF
  # One server is a cluster of its own: no routes to wait for.
  [ "$NODES" -eq 1 ] && return 0
  cat >>"$dir/$n/nats.conf" <<EOF
cluster {
  name: "fleetgate-$region"
  listen: "127.0.0.1:$route"
  routes: [$routes]
  no_advertise: true
}
EOF
}

start_server() {
  local dir=$1 n=$2
  running "$dir" "$n" && die "server $n in $dir is already running"
  rm -f "$dir/$n/nats.pid"
  # Detached from the caller's stdout: a test reading this script's output through a pipe sees
  # end of file when the script ends, not when the server does. Nor does it keep any other
  # descriptor the caller left open: a test's listening socket held by the server would keep
  # accepting connections after the test closed it.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec nats-server -c "$dir/$n/nats.conf" >>"$dir/$n/nats.log" 2>&1 </dev/null
  ) &
  wait_until 10 test -s "$dir/$n/nats.pid" || die "server $n did not start; see $dir/$n/nats.log"
}

# True when server N's monitoring endpoint names a JetStream meta leader.
meta_leader_known() {
  local port
  port=$(sed -n 's/^http: "127.0.0.1:\([0-9]*\)"$/\1/p' "$1/$2/nats.conf")
  curl -fsS --max-time 1 "http://127.0.0.1:$port/jsz" 2>/dev/null |
    python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin).get("meta_cluster", {}).get("leader") else 1)'
}

# A lone server has no meta group: it is ready once its JetStream answers health checks.
jetstream_healthy() {
  local port
  port=$(sed -n 's/^http: "127.0.0.1:\([0-9]*\)"$/\1/p' "$1/$2/nats.conf")
  curl -fsS --max-time 1 "http://127.0.0.1:$port/healthz?js-enabled-only=true" >/dev/null 2>&1
}

all_see_meta_leader() {
  local n
  if [ "$NODES" -eq 1 ]; then
    jetstream_healthy "$1" 0
    return
  fi
  for ((n = 0; n < NODES; n++)); do meta_leader_known "$1" "$n" || return 1; done
}

client_urls() {
  local n urls=()
  for ((n = 0; n < NODES; n++)); do
    urls+=("nats://$(sed -n 's/^listen: "\(.*\)"$/\1/p' "$1/$n/nats.conf")")
  done
  (IFS=,; echo "${urls[*]}")
}

start() {
  local dir=$1 region=$2 n
  [[ $region =~ ^[a-z][a-z0-9_-]*$ ]] || die "region '$region' is not a lowercase identifier"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  for ((n = 0; n < NODES; n++)); do
    running "$dir" "$n" && die "a cluster is already running in $dir (stop it first)"
  done
  local ports
  read -r -a ports <<<"$(free_ports $((NODES * 3)))"
  local routes=""
  for ((n = 0; n < NODES; n++)); do
    routes+="${routes:+, }\"nats-route://127.0.0.1:${ports[NODES + n]}\""
  done
  for ((n = 0; n < NODES; n++)); do
    mkdir -p "$dir/$n/store"
    write_config "$dir" "$region" "$n" "${ports[n]}" "${ports[NODES + n]}" "${ports[2 * NODES + n]}" "$routes"
  done
  for ((n = 0; n < NODES; n++)); do start_server "$dir" "$n"; done
  wait_until 60 all_see_meta_leader "$dir" || die "no JetStream meta leader after 60 s; see $dir/*/nats.log"
  client_urls "$dir"
}

gone() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 1; done
  return 0
}

# All servers are asked to stop at once (each takes seconds to shut JetStream down cleanly);
# one still running after 30 s is killed.
stop() {
  local dir=$1 n pids=()
  for ((n = 0; n < NODES; n++)); do
    if running "$dir" "$n"; then pids+=("$(pid_of "$dir" "$n")"); fi
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait_until 30 gone "${pids[@]}" || kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  for ((n = 0; n < NODES; n++)); do rm -f "$dir/$n/nats.pid"; done
}

kill_one() {
  local dir=$1 n=$2 pid
  running "$dir" "$n" || die "server $n in $dir is not running"
  pid=$(pid_of "$dir" "$n")
  kill -KILL "$pid"
  wait_until 10 gone "$pid" || die "server $n (pid $pid) survived SIGKILL"
  rm -f "$dir/$n/nats.pid"
}

start_one() {
  local dir=$1 n=$2
  [ -f "$dir/$n/nats.conf" ] || die "no server $n in $dir (start the region first)"
  start_server "$dir" "$n"
  wait_until 60 meta_leader_known "$dir" "$n" || die "server $n sees no JetStream meta leader after 60 s"
}

check_index() {
  [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -lt "$NODES" ] || die "server index must be 0..$((NODES - 1)), not '$1'"
}

usage() {
  echo "usage: tools/nats-region.sh start DIR REGION | stop DIR | kill DIR N | start-one DIR N" >&2
  exit 2
}

[ $# -ge 2 ] || usage
case "$1" in
  start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  kill) [ $# -eq 3 ] || usage; check_index "$3"; kill_one "$2" "$3" ;;
  start-one) [ $# -eq 3 ] || usage; check_index "$3"; start_one "$2" "$3" ;;
  *) usage ;;
esac
