#!/usr/bin/env bash
# Backs up a generated PostgreSQL database of >= 1 GB (realistic, moderately
# compressible rows: text, numbers, timestamps, JSON) through the controller
# and agent to local storage, and in the same run times pg_dump -> /dev/null.
# Prints wall times, their ratio, the agent's peak RSS, the compression ratio,
# and checks that no temporary dump file was created: every regular file the
# agent or pg_dump holds open during the backup is listed, and the agent's
# work directory is watched.
set -euo pipefail
ROWS=${1:-4500000}
source "$(dirname "$0")/lib.sh"

step "generating $ROWS rows"
start_postgres pg
generate_bench_db bench "$ROWS"
size=$(psql_as bench "SELECT pg_database_size('bench')")
echo "database size: $((size / 1024 / 1024)) MiB"

step "baseline: pg_dump --format=custom --compress=0 > /dev/null"
base=$(seconds_of pg_dump_to_null bench)

step "dbdump backup (zstd level 3) through controller and agent"
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store" >/dev/null
ctl database add bench --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
  --port="$PG_PORT" --user=dbdump --dbname=bench --password-ref="file:$PG_PASSFILE" >/dev/null
: > "$T/open-files"
monitor() {
  while kill -0 "$AGENT_PID" 2>/dev/null; do
    for pid in "$AGENT_PID" $(pgrep -f "pg_dump.*dbname='bench'" || true); do
      for fd in /proc/$pid/fd/*; do
        f=$(readlink "$fd" 2>/dev/null || true)
        case "$f" in /*) [ -f "$f" ] && echo "$f" ;; esac
      done
    done >> "$T/open-files"
    find "$T/agent-work" -maxdepth 1 -type f >> "$T/open-files" 2>/dev/null || true
    sleep 0.5
  done
}
monitor &
MON=$!
t0=$(date +%s.%N)
ctl backup run bench --wait > "$T/backup.out"
t1=$(date +%s.%N)
kill "$MON" 2>/dev/null || true
ours=$(echo "$t1 - $t0" | bc)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$AGENT_PID/status)
id=$(ctl --output=json backup list | json_field 'd["backups"][0]["id"]')
raw=$(json_field 'd["raw_size_bytes"]' < "$T/store/bench/$id/manifest.json")
stored=$(json_field 'd["stored_size_bytes"]' < "$T/store/bench/$id/manifest.json")

echo
echo "raw dump size:            $((raw / 1024 / 1024)) MiB"
echo "stored size:              $((stored / 1024 / 1024)) MiB (ratio $(echo "scale=2; $raw / $stored" | bc)x)"
echo "pg_dump -> /dev/null:     ${base} s"
echo "dbdump backup:            ${ours} s ($(echo "scale=2; $ours / $base" | bc)x the baseline)"
echo "agent peak RSS (VmHWM):   $((hwm / 1024)) MiB"
echo "regular files open or created during the backup:"
sort -u "$T/open-files" | sed "s|$T|\$T|" | sed 's/^/  /'
# Allowed: the storage object being written, the agent's own log, and the
# 0600 pgpass file that carries the password to pg_dump (a few bytes).
if sort -u "$T/open-files" | grep -v "/store/bench/$id/dump.pgdump.zst.partial-" \
    | grep -v "/journal/" | grep -v "/agent.log$" | grep -v "/agent-work/pgpass-" | grep -q .; then
  echo "RESULT: a file other than the storage object was used"
else
  echo "RESULT: no temporary file (only the storage object being written)"
fi
