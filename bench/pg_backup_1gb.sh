#!/usr/bin/env bash
# Backs up and restores a generated PostgreSQL database of >= 1 GB
# (realistic, moderately compressible rows: text, numbers, timestamps, JSON)
# through a controller and an agent to local storage, against the floors
# measured in the same run: pg_dump -> /dev/null for the backup, pg_restore
# of the same custom-format dump for the restore.
#
#   bench/pg_backup_1gb.sh [rows] [rounds]
#   BASELINE_BIN=/path/to/other/build bench/pg_backup_1gb.sh [rows] [rounds]
#   COMPARE_TLS=1 bench/pg_backup_1gb.sh [rows] [rounds]
#
# This build's pairs run the secure path (mutual TLS, an enrolled agent, an
# API token). COMPARE_TLS=1 makes the baseline this same build with
# --insecure_plaintext, so the rounds measure what TLS costs. A BASELINE_BIN
# from before TLS existed is started without any security flag
# (BASELINE_MODE=legacy, the default with BASELINE_BIN). SKIP_RESTORE=1
# times backups only.
#
# With BASELINE_BIN, a second controller and agent from that build run
# beside this build's, and each round times floor, baseline and current one
# after the other (interleaved), so both see the same machine. Prints min
# and median of each, the ratios of the medians to the floor and current /
# baseline, the agents' peak RSS and the compression ratio, and checks that
# no temporary dump file was created: every regular file the agent or
# pg_dump holds open during the first backup is listed, and the agent's work
# directory is watched.
set -euo pipefail
ROWS=${1:-4500000}
ROUNDS=${2:-3}
source "$(dirname "$0")/lib.sh"

step "generating $ROWS rows"
start_postgres pg
generate_bench_db bench "$ROWS"
size=$(psql_as bench "SELECT pg_database_size('bench')")
echo "database size: $((size / 1024 / 1024)) MiB"
PGPASSWORD=$(cat "$PG_PASSFILE") pg_dump -h 127.0.0.1 -p "$PG_PORT" -U dbdump --format=custom \
  --compress=0 bench > "$T/floor.pgdump"

# start_pair NAME BIN_DIR MODE: a controller and an agent of that build, with
# their own ports, store and work directory; the database and a local
# storage added. MODE: tls (enrolled agent, token), plaintext
# (--insecure_plaintext) or legacy (a build without those flags). Sets
# PAIR_<NAME>_CTL and PAIR_<NAME>_AGENT_PID.
start_pair() {
  local name=$1 bin=$2 mode=$3 ctl_port agent_port
  local flags=() agent_flags=()
  ctl_port=$(free_port)
  agent_port=$(free_port)
  mkdir -p "$T/$name"
  printf -v "PAIR_${name}_CTL" '%s' "127.0.0.1:$ctl_port"
  printf -v "PAIR_${name}_BIN" '%s' "$bin"
  printf -v "PAIR_${name}_MODE" '%s' "$mode"
  [ "$mode" = plaintext ] && flags=(--insecure_plaintext) && agent_flags=(--insecure_plaintext)
  [ "$mode" = tls ] && flags=(--state_dir="$T/$name/state")
  "$bin/dbdump-controller" --listen=127.0.0.1:$ctl_port --store="$T/$name/controller.db" \
    --heartbeat_interval_s=1 "${flags[@]}" >>"$T/$name.controller.log" 2>&1 &
  PIDS+=("$!")
  if [ "$mode" = tls ]; then
    trust_controller "$T/$name/state" "$T/$name/cli"
    wait_for "$name controller" pair_ctl "$name" agent list
    enroll agent-1 pair_ctl "$name"
    agent_flags=("${JOIN_FLAGS[@]}")
  fi
  "$bin/dbdump-agent" --name=agent-1 --listen=127.0.0.1:$agent_port \
    --controller=127.0.0.1:$ctl_port --work_dir="$T/$name/agent-work" "${agent_flags[@]}" \
    >>"$T/$name.agent.log" 2>&1 &
  PIDS+=("$!")
  unset DBDUMP_JOIN_TOKEN
  printf -v "PAIR_${name}_AGENT_PID" '%s' "$!"
  wait_for "$name agent to register" pair_ctl "$name" agent list
  for _ in $(seq 1 100); do
    pair_ctl "$name" --output=json agent list | grep -q '"online": true' && break
    sleep 0.2
  done
  pair_ctl "$name" storage add local --kind=local --path="$T/$name/store" >/dev/null
  pair_ctl "$name" database add bench --engine=postgres --agent=agent-1 --storage=local \
    --host=127.0.0.1 --port="$PG_PORT" --user=dbdump --dbname=bench \
    --password-ref="file:$PG_PASSFILE" >/dev/null
}

# pair_ctl NAME ARGS...: that build's dbdumpctl against that controller.
pair_ctl() {
  local name=$1; shift
  local ctl_var="PAIR_${name}_CTL" bin_var="PAIR_${name}_BIN" mode_var="PAIR_${name}_MODE"
  local plain=0
  [ "${!mode_var}" = plaintext ] && plain=1
  DBDUMP_CONTROLLER=${!ctl_var} DBDUMP_CONFIG_DIR="$T/$name/cli" DBDUMP_INSECURE_PLAINTEXT=$plain \
    "${!bin_var}/dbdumpctl" "$@"
}

# The timers below set SECS (and time_backup LAST_ID, the new backup's id).
time_backup() {
  local t0 t1
  t0=$(date +%s.%N)
  pair_ctl "$1" backup run bench --wait > "$T/$1.backup.out"
  t1=$(date +%s.%N)
  SECS=$(echo "$t1 - $t0" | bc)
  LAST_ID=$(pair_ctl "$1" --output=json backup list | json_field 'd["backups"][0]["id"]')
}

# time_restore NAME ID TARGET: one restore into a new database, dropped after.
time_restore() {
  local t0 t1
  t0=$(date +%s.%N)
  pair_ctl "$1" restore "$2" --target="$3" --wait > "$T/$1.restore.out"
  t1=$(date +%s.%N)
  SECS=$(echo "$t1 - $t0" | bc)
  psql_as postgres "DROP DATABASE $3" >/dev/null
}

time_floor_backup() { SECS=$(seconds_of pg_dump_to_null bench); }

time_floor_restore() {
  psql_as postgres "CREATE DATABASE floor_copy" >/dev/null
  SECS=$(seconds_of env PGPASSWORD="$(cat "$PG_PASSFILE")" pg_restore -h 127.0.0.1 \
    -p "$PG_PORT" -U dbdump -d floor_copy "$T/floor.pgdump")
  psql_as postgres "DROP DATABASE floor_copy" >/dev/null
}

pairs=(current)
start_pair current "$BIN" tls
if [ -n "${COMPARE_TLS:-}" ]; then
  start_pair baseline "$BIN" plaintext
  pairs=(baseline current)
  echo "baseline: this build with --insecure_plaintext; current: this build over mutual TLS"
elif [ -n "${BASELINE_BIN:-}" ]; then
  start_pair baseline "$BASELINE_BIN" "${BASELINE_MODE:-legacy}"
  pairs=(baseline current)
fi

: > "$T/open-files"
monitor() {
  while kill -0 "$PAIR_current_AGENT_PID" 2>/dev/null; do
    for pid in "$PAIR_current_AGENT_PID" $(pgrep -f "pg_dump.*dbname='bench'" || true); do
      for fd in /proc/$pid/fd/*; do
        f=$(readlink "$fd" 2>/dev/null || true)
        case "$f" in /*) [ -f "$f" ] && echo "$f" ;; esac
      done
    done >> "$T/open-files"
    find "$T/current/agent-work" -maxdepth 1 -type f >> "$T/open-files" 2>/dev/null || true
    sleep 0.5
  done
}

declare -A backup_s restore_s
backup_s[floor]=""; restore_s[floor]=""
for p in "${pairs[@]}"; do backup_s[$p]=""; restore_s[$p]=""; done
for r in $(seq 1 "$ROUNDS"); do
  step "round $r of $ROUNDS"
  # The builds take turns at going first, so neither always finds a warmer cache.
  order=("${pairs[@]}")
  if [ "${#pairs[@]}" = 2 ] && [ $((r % 2)) = 0 ]; then order=("${pairs[1]}" "${pairs[0]}"); fi
  time_floor_backup
  backup_s[floor]+=" $SECS"
  for p in "${order[@]}"; do
    if [ "$r" = 1 ] && [ "$p" = current ]; then monitor & MON=$!; fi
    time_backup "$p"
    backup_s[$p]+=" $SECS"
    if [ "$r" = 1 ] && [ "$p" = current ]; then
      kill "$MON" 2>/dev/null || true
      FIRST_ID=$LAST_ID
    fi
    eval "ID_$p=\$LAST_ID"
  done
  if [ -z "${SKIP_RESTORE:-}" ]; then
    time_floor_restore
    restore_s[floor]+=" $SECS"
    for p in "${order[@]}"; do
      id_var="ID_$p"
      time_restore "$p" "${!id_var}" "copy_$p"
      restore_s[$p]+=" $SECS"
    done
  fi
  echo "   backup s (floor ${pairs[*]}): $(for k in floor "${pairs[@]}"; do echo "${backup_s[$k]##* }"; done | tr '\n' ' ')"
  [ -n "${SKIP_RESTORE:-}" ] ||
    echo "   restore s (floor ${pairs[*]}): $(for k in floor "${pairs[@]}"; do echo "${restore_s[$k]##* }"; done | tr '\n' ' ')"
done

# stats NUMBERS: "min median"
stats() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f %.2f", a[1], m}'; }
report() {
  local what=$1; local -n times=$2
  local fmin fmed
  read -r fmin fmed <<<"$(stats "${times[floor]}")"
  printf '%-8s %-9s min %7.2f s  median %7.2f s\n' "$what" floor "$fmin" "$fmed"
  for p in "${pairs[@]}"; do
    local min med
    read -r min med <<<"$(stats "${times[$p]}")"
    printf '%-8s %-9s min %7.2f s  median %7.2f s  (%.2fx the floor)\n' "$what" "$p" "$min" "$med" \
      "$(echo "scale=4; $med / $fmed" | bc)"
    printf -v "MED_$p" '%s' "$med"
  done
  if [ "${#pairs[@]}" = 2 ]; then
    printf '%-8s current / baseline (medians): %.3f\n' "$what" "$(echo "scale=4; $MED_current / $MED_baseline" | bc)"
  fi
}

raw=$(json_field 'd["raw_size_bytes"]' < "$T/current/store/bench/$FIRST_ID/manifest.json")
stored=$(json_field 'd["stored_size_bytes"]' < "$T/current/store/bench/$FIRST_ID/manifest.json")
echo
echo "raw dump size:            $((raw / 1024 / 1024)) MiB"
echo "stored size:              $((stored / 1024 / 1024)) MiB (ratio $(echo "scale=2; $raw / $stored" | bc)x)"
report backup backup_s
[ -n "${SKIP_RESTORE:-}" ] || report restore restore_s
for p in "${pairs[@]}"; do
  pid_var="PAIR_${p}_AGENT_PID"
  echo "$p agent peak RSS (VmHWM): $(( $(awk '/VmHWM/ {print $2}' /proc/${!pid_var}/status) / 1024 )) MiB"
done
echo "regular files open or created during the first current backup:"
sort -u "$T/open-files" | sed "s|$T|\$T|" | sed 's/^/  /'
# Allowed: the storage object being written, the agent's own log, and the
# 0600 pgpass file that carries the password to pg_dump (a few bytes).
if sort -u "$T/open-files" | grep -v "/store/bench/$FIRST_ID/dump.pgdump.zst.partial-" \
    | grep -v "/journal/" | grep -v "\.agent\.log$" | grep -v "/agent-work/pgpass-" \
    | grep -v "/agent-work/tls/" | grep -q .; then
  echo "RESULT: a file other than the storage object was used"
else
  echo "RESULT: no temporary file (only the storage object being written)"
fi
