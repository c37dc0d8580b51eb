#!/usr/bin/env bash
# The PostgreSQL that ctest's "pg." copies of the service-level suite share (ctest fixture
# pg_suite): each test then makes a database of its own on it (tests/support/test_backend.cc).
#   tests/support/pg_suite.sh start STATE   # STATE gets the server's folder and its DSN
#   tests/support/pg_suite.sh stop STATE    # also stops one an interrupted run left behind
set -euo pipefail
root=$(dirname "$(readlink -f "$0")")/../..
state=${2:?usage: tests/support/pg_suite.sh start|stop STATE}

stop() {
  [ -f "$state" ] || return 0
  local dir
  dir=$(sed -n 1p "$state")
  "$root/tools/pg-region.sh" stop "$dir/pg"
  rm -rf "$dir" "$state"
}

start() {
  stop
  local dir port dsn
  dir=$(mktemp -d "${TMPDIR:-/tmp}/fleetgate-pg-suite.XXXXXX")
  chmod 0711 "$dir"  # the postgres account (when run as root) reaches its folder inside
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  dsn=$("$root/tools/pg-region.sh" start "$dir/pg" "$port")
  printf '%s\n%s\n' "$dir" "$dsn" >"$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: tests/support/pg_suite.sh start|stop STATE" >&2; exit 2 ;;
esac
