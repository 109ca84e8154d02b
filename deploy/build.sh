#!/usr/bin/env bash
# Configures and builds dbdump into build/ (two parallel jobs: gRPC code is heavy).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# DBDUMP_BUILD_TESTS=OFF: without the tests (no GoogleTest needed).
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDBDUMP_BUILD_TESTS="${DBDUMP_BUILD_TESTS:-ON}" >/dev/null
cmake --build "$root/build" -j "${DBDUMP_BUILD_JOBS:-2}" "$@"
