#!/usr/bin/env bash
# A throwaway PostgreSQL (Debian's postgresql-15) for one region, on 127.0.0.1 and a unix socket in
# its folder, for tests and demos. Clusters are copied from a template made by initdb once per
# machine and account, which takes a fraction of a second.
#   tools/pg-region.sh start DIR PORT   # prints the libpq connection string (DSN) on stdout
#   tools/pg-region.sh stop DIR [fast|immediate]
#                                       # fast (default): sessions ended, transactions rolled back;
#                                       # immediate: the server killed, crash recovery at next start
# Both are idempotent: `start` on a DIR that already holds a cluster starts that cluster (its data
# kept) on PORT, or, when it is running, only prints its DSN with the port it listens on; `stop`
# on a stopped cluster does nothing. So `stop DIR; start DIR PORT` restarts a region's database.
# As root the server runs as the `postgres` account (PostgreSQL refuses to run as root).
set -euo pipefail
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/pg_ctl" ] || { echo "pg-region: PostgreSQL server binaries not found (run ./dev setup)" >&2; exit 69; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir=$1 port=$2 owner template
  owner=$([ "$(id -u)" -eq 0 ] && echo postgres || id -un)
  template=${TMPDIR:-/tmp}/fleetgate-pg-template-$owner
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  chmod 0700 "$dir"
  if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
    (
      flock 9
      if [ ! -f "$template/PG_VERSION" ]; then
        rm -rf "$template.tmp"
        mkdir -p "$template.tmp"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$template.tmp"
        as_owner "$pgbin/initdb" -D "$template.tmp" -A trust -U fleetgate -E UTF8 --locale=C.UTF-8 >/dev/null
        mv "$template.tmp" "$template"
      fi
    ) 9>"$template.lock"
    as_owner cp -a "$template" "$dir/pgdata"
  fi
  if as_owner "$pgbin/pg_ctl" -D "$dir/pgdata" status >/dev/null 2>&1; then
    port=$(sed -n 4p "$dir/pgdata/postmaster.pid")  # running already: the port it listens on
  else
    # The server keeps none of the caller's descriptors: a test's listening socket or pipe held by
    # postgres would stay open after the test closed it (a pipe read to its end would never end).
    (
      for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] && eval "exec $fd>&-"
      done
      as_owner "$pgbin/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    )
  fi
  echo "host=$dir port=$port user=fleetgate dbname=postgres"
}

stop() {
  local dir=$1 mode=${2:-fast}
  [[ $mode == fast || $mode == immediate ]] || { echo "pg-region: stop mode must be fast or immediate, not '$mode'" >&2; exit 2; }
  [ -f "$dir/pgdata/postmaster.pid" ] || return 0
  as_owner "$pgbin/pg_ctl" -D "$dir/pgdata" -m "$mode" -w -t 60 stop >/dev/null
}

case "${1:-}" in
  start) start "$2" "$3" ;;
  stop) stop "$2" "${3:-fast}" ;;
  *) echo "usage: tools/pg-region.sh start DIR PORT | stop DIR [fast|immediate]" >&2; exit 2 ;;
esac
