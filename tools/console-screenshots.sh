#!/usr/bin/env bash
# Regenerates the README's console screenshots (docs/console/*.png): runs the console's browser
# test (web/tests/console.test.mjs) against a freshly seeded `fleetgate serve`, which saves each
# page it checks. Needs a build (./dev build) and ./dev setup's chromium.
#   tools/console-screenshots.sh [FLEETGATE_BINARY]
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
binary=${1:-build/src/app/fleetgate}
rm -f docs/console/*.png
FLEETGATE_CONSOLE_SCREENSHOTS="$PWD/docs/console" node web/tests/console.test.mjs "$binary"
ls docs/console
