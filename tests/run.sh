#!/usr/bin/env bash
# The test command: installs what is needed, builds, and runs the whole suite
# (unit, integration against real servers the tests start, end to end).
#   tests/run.sh              everything
#   tests/run.sh -L unit      only one label (unit | integration | e2e)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/install-deps.sh"
bash "$root/deploy/build.sh"
cd "$root/build"
ctest --output-on-failure -j 2 --timeout 900 "$@"
