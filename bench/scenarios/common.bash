# Shared start of the bench scenarios (sourced, never run by itself):
#   source "$(dirname "$0")/common.bash"; bench_init "$@"
# resolves BUILD_DIR and RESULTS_DIR (creating it) into $build and $results, sets $root and
# $fleetgate (which must be built), and makes $work, a scratch dir removed on exit after every
# process in $server_pid and the pids array was stopped.

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
