#!/usr/bin/env bash
# `cmake --install` into a scratch prefix puts everything where deploy/fleetgate.service expects it,
# the installed config passes `fleetgate config check`, systemd accepts the unit, and promtool
# accepts the alert rules. Usage: install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/fleetgate etc/fleetgate/fleetgate.toml etc/fleetgate/ledger.toml lib/systemd/system/fleetgate.service \
         lib/sysusers.d/fleetgate.conf share/fleetgate/fleetgate-alerts.yml share/fleetgate/fleetgate-dashboard.json \
         share/doc/fleetgate/README.md; do
  [ -f "$prefix/$f" ] || fail "cmake --install did not put $f in the prefix"
done
[ -x "$prefix/bin/fleetgate" ] || fail "bin/fleetgate is not executable"

unit=$prefix/lib/systemd/system/fleetgate.service
grep -qx "ExecStart=$prefix/bin/fleetgate serve --config $prefix/etc/fleetgate/fleetgate.toml" "$unit" ||
  fail "the unit's ExecStart does not name the installed binary and config: $(grep ExecStart= "$unit")"
grep -qx 'data_dir = "/var/lib/fleetgate"' "$prefix/etc/fleetgate/fleetgate.toml" ||
  fail "the installed config's data_dir is not the unit's state directory"
for setting in User=fleetgate StateDirectory=fleetgate ProtectSystem=strict NoNewPrivileges=yes CapabilityBoundingSet= PrivateTmp=yes; do
  grep -qx "$setting" "$unit" || fail "the unit lacks $setting"
done
# The unit runs as its own user, which systemd-sysusers creates from the installed file.
grep -q '^u fleetgate ' "$prefix/lib/sysusers.d/fleetgate.conf" || fail "sysusers file does not create user fleetgate"

"$prefix/bin/fleetgate" config check "$prefix/etc/fleetgate/fleetgate.toml" >/dev/null ||
  fail "the installed config does not pass fleetgate config check"

# systemd's own check of the unit file: directives, their values, the ExecStart binary.
if ! out=$(systemd-analyze verify --man=no "$unit" 2>&1); then
  echo "$out" >&2
  fail "systemd-analyze verify refuses the unit"
fi
# Warnings it prints about this host (no systemd running, no such user yet) are not the unit's.
if echo "$out" | grep -v -e "not booted with systemd" -e "fleetgate.service: Failed to resolve user" \
     -e "Failed to prepare filename" -e "^$" | grep -qi "fleetgate.service"; then
  echo "$out" >&2
  fail "systemd-analyze verify warns about the unit"
fi

promtool check rules "$src/deploy/prometheus/fleetgate-alerts.yml" >/dev/null || fail "promtool refuses the alert rules"

# A reinstall keeps what an operator changed in the config and the ledger terms.
echo "# the operator's own line" >>"$prefix/etc/fleetgate/ledger.toml"
echo "# the operator's own line" >>"$prefix/etc/fleetgate/fleetgate.toml"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in ledger.toml fleetgate.toml; do
  grep -qx "# the operator's own line" "$prefix/etc/fleetgate/$f" || fail "a reinstall replaced the operator's $f"
done

# A staged install (DESTDIR, as packagers use) writes everything under the stage, with the live
# paths inside the unit.
stage=$prefix/stage
live=/nonexistent-fleetgate-prefix
DESTDIR=$stage cmake --install "$build" --prefix "$live" >/dev/null
[ ! -e "$live" ] || fail "a staged install wrote outside DESTDIR"
grep -qx "ExecStart=$live/bin/fleetgate serve --config $live/etc/fleetgate/fleetgate.toml" \
  "$stage$live/lib/systemd/system/fleetgate.service" || fail "the staged unit does not name the live paths"
for f in bin/fleetgate etc/fleetgate/fleetgate.toml etc/fleetgate/ledger.toml; do
  [ -f "$stage$live/$f" ] || fail "a staged install did not put $f under DESTDIR"
done
echo "install_test: ok ($prefix)"
