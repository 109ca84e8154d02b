#!/usr/bin/env bash
# `backup list` against a large catalogue: a controller over TLS with 1,000
# catalogued backups, then 10,000 (copies of one real backup's row with new
# ids, a minute apart, written beside the running controller in one SQLite
# transaction). At each size: wall time of the first page through
# dbdumpctl (table and JSON), `stats`, dbdumpctl's peak RSS, and the controller's
# VmRSS after the listings, so the two sizes are each other's baseline.
#
#   bench/catalogue_10k.sh [rounds]
set -euo pipefail
ROUNDS=${1:-15}
source "$(dirname "$0")/lib.sh"

start_controller
start_agent
wait_for "agent to register" agent_online
sqlite3 "$T/app.db" "CREATE TABLE t(a); INSERT INTO t VALUES (1);"
ctl storage add local --kind=local --path="$T/store" >/dev/null
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db" >/dev/null
ctl backup run app --wait >/dev/null
SEED=$(ctl --output=json backup list | json_field 'd["backups"][0]["id"]')
SEED_JOB=$(ctl --output=json backup show "$SEED" | json_field 'd["backup"]["job_id"]')

# grow_to N: copies of the seed until the catalogue holds N backups.
grow_to() {
  local have
  have=$(sqlite3 "$T/controller.db" "SELECT count(*) FROM backups")
  python3 - "$have" "$1" "$SEED" "$SEED_JOB" <<'PY' | sqlite3 "$T/controller.db"
import sys, datetime
have, want, seed, seed_job = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
print(".timeout 10000")
print("BEGIN;")
print(f"CREATE TEMP TABLE tj AS SELECT * FROM jobs WHERE id = '{seed_job}';")
print(f"CREATE TEMP TABLE tb AS SELECT * FROM backups WHERE id = '{seed}';")
start = datetime.datetime(2024, 1, 1)
for i in range(have, want):
    at = start + datetime.timedelta(minutes=i)
    bid = at.strftime("%Y%m%dT%H%M%SZ") + f"-{i:08x}"
    jid = f"job-bench-{i}"
    ts = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"UPDATE tj SET id = '{jid}', backup_id = '{bid}', created_at = '{ts}';"
          f"INSERT INTO jobs SELECT * FROM tj;"
          f"UPDATE tb SET id = '{bid}', job_id = '{jid}', created_at = '{ts}';"
          f"INSERT INTO backups SELECT * FROM tb;")
print("COMMIT;")
PY
}

stats() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "min %.1f ms  median %.1f ms", a[1], m}'; }
measure() {
  local n=$1 table="" json="" stats_ms="" t0 t1 cli_rss
  for _ in $(seq 1 "$ROUNDS"); do
    t0=$(date +%s.%N); ctl stats >/dev/null; t1=$(date +%s.%N)
    stats_ms+=" $(echo "($t1 - $t0) * 1000" | bc)"
    t0=$(date +%s.%N); ctl backup list >/dev/null 2>&1; t1=$(date +%s.%N)
    table+=" $(echo "($t1 - $t0) * 1000" | bc)"
    t0=$(date +%s.%N); ctl --output=json backup list >/dev/null; t1=$(date +%s.%N)
    json+=" $(echo "($t1 - $t0) * 1000" | bc)"
  done
  /usr/bin/time -o "$T/cli.rss" -f '%M' "$BIN/dbdumpctl" backup list >/dev/null 2>&1
  cli_rss=$(tail -n 1 "$T/cli.rss")
  printf '%6d backups: first page (100) table %s, json %s; stats %s; dbdumpctl peak RSS %d KiB; controller VmRSS %s KiB\n' \
    "$(sqlite3 "$T/controller.db" 'SELECT count(*) FROM backups')" "$(stats "$table")" "$(stats "$json")" \
    "$(stats "$stats_ms")" "$cli_rss" "$(awk '/VmRSS/ {print $2}' /proc/$CONTROLLER_PID/status)"
}

step "1,000 catalogued backups"
grow_to 1000
measure 1000
step "10,000 catalogued backups"
grow_to 10000
measure 10000
