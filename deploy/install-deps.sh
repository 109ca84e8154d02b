#!/usr/bin/env bash
# Installs what dbdump needs from Debian's packages:
#   install-deps.sh            everything: build, run and test (tests/run.sh)
#   install-deps.sh --runtime  only what building and running dbdump needs
#                              (deploy/quickstart.sh's SQLite demo)
# Safe to run again: only missing packages are installed.
set -euo pipefail

MODE=${1:---all}
case "$MODE" in
  --runtime|--all) ;;
  *) echo "install-deps: unknown option $MODE: use --runtime or nothing (everything)" >&2; exit 2 ;;
esac

# Building and running: the compiler and the libraries the binaries link,
# and the tools the quickstart and the agent's SQLite engine use.
RUNTIME_PACKAGES=(
  build-essential cmake pkg-config
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libabsl-dev
  libssl-dev zlib1g-dev libzstd-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
  libpugixml-dev nlohmann-json3-dev libcpp-httplib-dev libtomlplusplus-dev libsystemd-dev
  prometheus-cpp-dev libmongoc-dev
  sqlite3 zstd gzip python3 procps tzdata openssl curl
)
# Testing: GoogleTest, the servers the tests start (PostgreSQL, MariaDB,
# Swift; FerretDB is built below), the headless browser, the package checks,
# and pymongo, the MongoDB end-to-end test's own client.
TEST_PACKAGES=(
  libgtest-dev libgmock-dev bc time age
  postgresql postgresql-client
  mariadb-server mariadb-client
  swift swift-proxy swift-object swift-container swift-account python3-swift memcached
  chromium
  dpkg-dev lintian systemd
  prometheus
  python3-pymongo
)
PACKAGES=("${RUNTIME_PACKAGES[@]}")
if [ "$MODE" = --all ]; then
  PACKAGES+=("${TEST_PACKAGES[@]}")
  # The dashboard's browser test (tests/browser) runs on Node.js with npm.
  # Debian's nodejs (18 on Debian 12) is enough; a machine that already has a
  # node of its own (e.g. from NodeSource, which bundles npm) keeps it.
  command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
install_packages() {
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # The tests start their own servers on free loopback ports (tests/fixtures);
  # Debian's swift-*, memcached, prometheus and rsyslog packages would otherwise start
  # system services on install (memcached on 127.0.0.1:11211, Swift's daemons).
  # A policy-rc.d that answers 101 tells invoke-rc.d/deb-systemd-invoke not to
  # start them; one is put in place only for this install if none exists.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# dbdump install-deps: no services started during install\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Not started now, and not at the next boot either.
  if [ -d /run/systemd/system ]; then
    for unit in memcached mariadb prometheus $(systemctl list-unit-files --no-legend 'swift-*' 2>/dev/null | awk '{print $1}'); do
      $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
}

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
else
  install_packages
fi

[ "$MODE" = --runtime ] && exit 0

# buf (its `buf curl` is the gateway test's independent gRPC client), built
# with the machine's Go from the Go module proxy; not packaged by Debian.
BUF_VERSION=v1.75.0
if ! command -v buf >/dev/null 2>&1; then
  command -v go >/dev/null 2>&1 || { echo "install-deps: Go is needed to install buf" >&2; exit 1; }
  echo "install-deps: building buf $BUF_VERSION (a few minutes, once)"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO env GOBIN=/usr/local/bin GOPATH="${GOPATH:-$HOME/go}" GOFLAGS=-mod=mod \
    go install "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION"
fi

# The MongoDB tests: mongodump and mongorestore (MongoDB Database Tools) and
# FerretDB, built from source with the machine's Go at pinned versions into a
# cache directory, once (about two minutes and 1.3 GB the first time). The
# agent looks for the tools where a package would install them: links in
# /usr/local/bin, unless the machine has tools of its own there already.
tools=$(bash "$(dirname "$0")/build-mongo-tools.sh" | tail -n 1)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
for tool in mongodump mongorestore; do
  link=/usr/local/bin/$tool
  if [ ! -e "$link" ] || [ "$(readlink "$link")" = "$tools/$tool" ]; then
    $SUDO ln -sfn "$tools/$tool" "$link"
  elif ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-deps: $link exists but is not runnable" >&2
  fi
done
