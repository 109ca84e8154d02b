#!/usr/bin/env bash
# `backup list` against a large catalogue: a controller over TLS with 1,000
# catalogued backups, then 10,000 (copies of one real backup's row with new
# ids, a minute apart, written beside the running controller in one SQLite
# transaction). At each size: wall time of the first page through
# dbdumpctl (table and JSON) and through the HTTP gateway (curl), `stats`, dbdumpctl's peak RSS, and the controller's
# VmRSS after the listings, so the two sizes are each other's baseline (the
# first size is measured twice: its first pass warms the controller up).
#
#   bench/catalogue_10k.sh [rounds]
set -euo pipefail
ROUNDS=${1:-15}
source "$(dirname "$0")/lib.sh"

HTTP_PORT=$(free_port)
CONTROLLER_FLAGS="--http_listen=127.0.0.1:$HTTP_PORT"
start_controller
start_agent
# One HTTPS request through the gateway, a new connection each time (as curl
# from a script makes it).
gateway_get() {
  curl -sS --fail --cacert "$T/state/pki/ca.pem" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" \
    -H "Authorization: Bearer $(cat "$DBDUMP_CONFIG_DIR/token")" "https://controller.dbdump:$HTTP_PORT$1"
}
wait_for "agent to register" agent_online
sqlite3 "$T/app.db" "CREATE TABLE t(a); INSERT INTO t VALUES (1);"
ctl storage add local --kind=local --path="$T/store" >/dev/null
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db" >/dev/null
ctl backup run app --wait >/dev/null
SEED=$(ctl --output=json backup list | json_field 'd["backups"][0]["id"]')

stats() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "min %.1f ms  median %.1f ms", a[1], m}'; }
measure() {
  local n=$1 table="" json="" http="" stats_ms="" t0 t1 cli_rss
  for _ in $(seq 1 "$ROUNDS"); do
    t0=$(date +%s.%N); ctl stats >/dev/null; t1=$(date +%s.%N)
    stats_ms+=" $(echo "($t1 - $t0) * 1000" | bc)"
    t0=$(date +%s.%N); ctl backup list >/dev/null 2>&1; t1=$(date +%s.%N)
    table+=" $(echo "($t1 - $t0) * 1000" | bc)"
    t0=$(date +%s.%N); ctl --output=json backup list >/dev/null; t1=$(date +%s.%N)
    json+=" $(echo "($t1 - $t0) * 1000" | bc)"
    t0=$(date +%s.%N); gateway_get /v1/backups >/dev/null; t1=$(date +%s.%N)
    http+=" $(echo "($t1 - $t0) * 1000" | bc)"
  done
  /usr/bin/time -o "$T/cli.rss" -f '%M' "$BIN/dbdumpctl" backup list >/dev/null 2>&1
  cli_rss=$(tail -n 1 "$T/cli.rss")
  printf '%6d backups: first page (100) table %s, json %s, gateway (curl) %s; stats %s; dbdumpctl peak RSS %d KiB; controller VmRSS %s KiB\n' \
    "$(sqlite3 "$T/controller.db" 'SELECT count(*) FROM backups')" "$(stats "$table")" "$(stats "$json")" "$(stats "$http")" \
    "$(stats "$stats_ms")" "$cli_rss" "$(awk '/VmRSS/ {print $2}' /proc/$CONTROLLER_PID/status)"
}

step "1,000 catalogued backups (a first pass warms the controller's threads and caches)"
grow_catalogue "$SEED" 1000
measure 1000
measure 1000
step "10,000 catalogued backups"
grow_catalogue "$SEED" 10000
measure 10000
