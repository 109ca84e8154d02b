#!/usr/bin/env bash
# Builds the MongoDB side of the test bench from source with the machine's Go
# toolchain, at pinned versions, once per version:
#   - mongodump and mongorestore (MongoDB Database Tools; their release tags are
#     not Go module versions, so a commit is pinned: the one after 100.12.2),
#   - FerretDB (a MongoDB wire-protocol server over PostgreSQL or SQLite),
#     which the MongoDB integration and end-to-end tests start.
#
#   build-mongo-tools.sh          build what is missing, print the bin directory
#   build-mongo-tools.sh --print  only print the bin directory (no build)
#
# Everything goes under one cache directory ($DBDUMP_GO_CACHE, by default
# /var/cache/dbdump/go as root, else ~/.cache/dbdump/go): the Go module and
# build caches, and bin/<tool>-<version>/ with the binaries. The directory
# bin/current/ holds links to the pinned versions; tests find the tools there.
# A second run finds the binaries and does nothing.
set -euo pipefail

MONGO_TOOLS_VERSION=v0.0.0-20250715155915-887641268977
MONGO_TOOLS_RELEASE=100.12.2+887641268977
FERRETDB_VERSION=v1.24.2

if [ -n "${DBDUMP_GO_CACHE:-}" ]; then
  cache=$DBDUMP_GO_CACHE
elif [ "$(id -u)" = 0 ]; then
  cache=/var/cache/dbdump/go
else
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/dbdump/go
fi
bin=$cache/bin
if [ "${1:-}" = --print ]; then
  echo "$bin/current"
  exit 0
fi
[ $# -eq 0 ] || { echo "build-mongo-tools: unknown option $1: use --print or nothing" >&2; exit 2; }

tools_dir=$bin/mongo-tools-$MONGO_TOOLS_VERSION
ferret_dir=$bin/ferretdb-$FERRETDB_VERSION

need_build=0
for f in "$tools_dir/mongodump" "$tools_dir/mongorestore" "$ferret_dir/ferretdb"; do
  [ -x "$f" ] || need_build=1
done

if [ "$need_build" = 1 ]; then
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<EOF
build-mongo-tools: the Go toolchain (go) is not installed, and the MongoDB tests
need mongodump, mongorestore and FerretDB built from source with it.
Install Go 1.24 or newer (Debian 12's golang-go, 1.19, is too old) and put it
on PATH, then run deploy/install-deps.sh again.
EOF
    exit 1
  fi
  # FerretDB needs Go 1.24, mongo-tools 1.23; GOTOOLCHAIN=local (below) keeps go from
  # fetching a newer toolchain by itself.
  have=$(go env GOVERSION | sed 's/^go//')
  if [ "$(printf '%s\n1.24\n' "$have" | sort -V | head -n 1)" != 1.24 ]; then
    echo "build-mongo-tools: Go $have is too old: FerretDB needs Go 1.24 or newer; install it and run deploy/install-deps.sh again" >&2
    exit 1
  fi
  mkdir -p "$cache/mod" "$cache/build" "$tools_dir" "$ferret_dir"
  export GOMODCACHE=$cache/mod GOCACHE=$cache/build GOFLAGS= GOTOOLCHAIN=local
  export CGO_ENABLED=0
  started=$(date +%s)
  echo "build-mongo-tools: building mongodump and mongorestore $MONGO_TOOLS_RELEASE and FerretDB $FERRETDB_VERSION (several minutes, once)"
  # The tools are built inside their module with the dependencies its go.sum pins
  # (`go install pkg@version` would ask the proxy for the module's version
  # list, which it does not serve for mongo-tools).
  go mod download "github.com/mongodb/mongo-tools@$MONGO_TOOLS_VERSION"
  src=$GOMODCACHE/github.com/mongodb/mongo-tools@$MONGO_TOOLS_VERSION
  for tool in mongodump mongorestore; do
    if [ ! -x "$tools_dir/$tool" ]; then
      (cd "$src" && nice -n 10 go build -mod=mod -trimpath -o "$tools_dir/$tool" \
        -ldflags "-X main.VersionStr=$MONGO_TOOLS_RELEASE -X main.GitCommit=${MONGO_TOOLS_VERSION##*-}" \
        "./$tool/main")
    fi
  done
  if [ ! -x "$ferret_dir/ferretdb" ]; then
    # FerretDB embeds build/version/version.txt, which its module zip lacks:
    # it is built from a writable copy of the module with that file written.
    go mod download "github.com/FerretDB/FerretDB@$FERRETDB_VERSION"
    work=$(mktemp -d)
    cp -r "$GOMODCACHE/github.com/!ferret!d!b/!ferret!d!b@$FERRETDB_VERSION/." "$work/"
    chmod -R u+w "$work"
    printf '%s\n' "$FERRETDB_VERSION" > "$work/build/version/version.txt"
    (cd "$work" && nice -n 10 go build -mod=mod -trimpath -o "$ferret_dir/ferretdb" ./cmd/ferretdb)
    rm -rf "$work"
  fi
  echo "build-mongo-tools: built in $(( $(date +%s) - started )) s; cache $(du -sh "$cache" | cut -f1) in $cache"
fi

mkdir -p "$bin/current"
ln -sfn "$tools_dir/mongodump" "$bin/current/mongodump"
ln -sfn "$tools_dir/mongorestore" "$bin/current/mongorestore"
ln -sfn "$ferret_dir/ferretdb" "$bin/current/ferretdb"
echo "$bin/current"
