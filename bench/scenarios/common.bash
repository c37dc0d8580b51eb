# Shared start of the bench scenarios (sourced, never run by itself):
#   source "$(dirname "$0")/common.bash"; bench_init "$@"
# resolves BUILD_DIR and RESULTS_DIR (creating it) into $build and $results, sets $root and
# $fleetgate (which must be built), and makes $work, a scratch dir removed on exit after every
# process in $server_pid and the pids array was stopped. Also: free_port, wait_for_port,
# start_serve and mock_gateway_config (below).

bench_init() {
  [ $# -ge 2 ] || { echo "usage: $(basename "$0") BUILD_DIR RESULTS_DIR" >&2; exit 2; }
  build=$(cd "$1" && pwd)
  mkdir -p "$2"
  results=$(cd "$2" && pwd)
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  fleetgate=$build/src/app/fleetgate
  [ -x "$fleetgate" ] || { echo "$(basename "$0"): missing $fleetgate (build the fleetgate target)" >&2; exit 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/fleetgate-bench-XXXXXX")
  server_pid=
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local p
  for p in $server_pid "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in $server_pid "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_for_port PORT: returns once something accepts connections on it (10 s at most).
wait_for_port() {
  local i
  for i in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "$(basename "$0"): nothing listens on port $1" >&2
  return 1
}

# start_serve CONFIG [ARGS...]: `fleetgate -c CONFIG serve --port 0 ARGS...` as $server_pid; sets
# $port once it listens, and ends the script when it does not start.
start_serve() {
  local config=$1 line
  shift
  coproc SERVER { exec "$fleetgate" -c "$config" serve --port 0 "$@" 2>&1; }
  server_pid=$SERVER_PID
  port=
  while read -r line <&"${SERVER[0]}"; do
    if [[ $line =~ listening\ on\ [a-z]+://[^:]+:([0-9]+) ]]; then port=${BASH_REMATCH[1]}; break; fi
  done
  [ -n "$port" ] || { echo "$(basename "$0"): fleetgate serve did not start" >&2; exit 1; }
}

# mock_gateway_config PORT THREADS DATA_DIR MOCK_PORT: on stdout, a config with one region (eu,
# market DE) whose chain is the mock upstream on MOCK_PORT (model mock-model).
mock_gateway_config() {
  cat <<TOML
[server]
listen = "127.0.0.1"
port = $1
threads = $2
data_dir = "$3"

[[regions]]
id = "eu"
name = "European Union"
chain = ["mock-eu"]

[markets]
DE = "eu"

[[providers]]
id = "mock-eu"
kind = "openai-compatible"
base_url = "http://127.0.0.1:$4"
location = "eu"
models = ["mock-model"]
TOML
}
