#!/usr/bin/env bash
# What mutual TLS adds to a job's control path, isolated: the same build as
# two controller+agent pairs, one over mutual TLS (enrolled agent, token),
# one with --insecure_plaintext, each backing up the same tiny SQLite
# database with `dbdumpctl backup run --wait` (so the wall time is almost all
# control: the CLI's connection, StartBackup, dispatch, RunBackup and its
# event stream, FollowJob). Rounds alternate which pair goes first. Prints
# min and median per pair and the difference of the medians in ms.
#
#   bench/tls_overhead.sh [rounds]
set -euo pipefail
ROUNDS=${1:-30}
source "$(dirname "$0")/lib.sh"

start() { # NAME MODE
  local name=$1 mode=$2 port flags=() agent_flags=()
  port=$(free_port)
  mkdir -p "$T/$name"
  [ "$mode" = plaintext ] && flags=(--insecure_plaintext) && agent_flags=(--insecure_plaintext)
  "$BIN/dbdump-controller" --listen=127.0.0.1:$port --store="$T/$name/c.db" --state_dir="$T/$name/state" \
    --heartbeat_interval_s=1 "${flags[@]}" >>"$T/$name.log" 2>&1 &
  PIDS+=("$!")
  printf -v "CTL_$name" '%s' "127.0.0.1:$port"
  printf -v "PLAIN_$name" '%s' "$([ "$mode" = plaintext ] && echo 1 || echo 0)"
  if [ "$mode" = tls ]; then
    trust_controller "$T/$name/state" "$T/$name/cli"
    wait_for "controller" on "$name" agent list
    enroll agent-1 on "$name"
    agent_flags=("${JOIN_FLAGS[@]}")
  fi
  "$BIN/dbdump-agent" --name=agent-1 --listen=127.0.0.1:$(free_port) --controller=127.0.0.1:$port \
    --work_dir="$T/$name/work" "${agent_flags[@]}" >>"$T/$name.log" 2>&1 &
  PIDS+=("$!")
  unset DBDUMP_JOIN_TOKEN
  wait_for "$name agent" sh -c "DBDUMP_CONTROLLER=127.0.0.1:$port DBDUMP_CONFIG_DIR=$T/$name/cli DBDUMP_INSECURE_PLAINTEXT=\$(test $mode = plaintext && echo 1 || echo 0) '$BIN/dbdumpctl' --output=json agent list | grep -q '\"online\": true'"
  on "$name" storage add local --kind=local --path="$T/$name/store" >/dev/null
  on "$name" database add tiny --engine=sqlite --agent=agent-1 --storage=local --path="$T/tiny.db" >/dev/null
}

on() { # NAME ARGS...: dbdumpctl against that pair
  local name=$1; shift
  local c="CTL_$name" p="PLAIN_$name"
  DBDUMP_CONTROLLER=${!c} DBDUMP_CONFIG_DIR="$T/$name/cli" DBDUMP_INSECURE_PLAINTEXT=${!p} \
    "$BIN/dbdumpctl" "$@"
}

sqlite3 "$T/tiny.db" "CREATE TABLE t(a); INSERT INTO t VALUES (1);"
start tls tls
start plain plaintext
declare -A times=([tls]="" [plain]="")
for r in $(seq 1 "$ROUNDS"); do
  order=(tls plain)
  [ $((r % 2)) = 0 ] && order=(plain tls)
  for name in "${order[@]}"; do
    t0=$(date +%s.%N)
    on "$name" backup run tiny --wait >/dev/null
    t1=$(date +%s.%N)
    times[$name]+=" $(echo "($t1 - $t0) * 1000" | bc)"
  done
done
stats() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f %.1f", a[1], m}'; }
read -r tmin tmed <<<"$(stats "${times[tls]}")"
read -r pmin pmed <<<"$(stats "${times[plain]}")"
echo "backup run --wait of a tiny SQLite database, $ROUNDS rounds each, interleaved:"
printf '  plaintext    min %7.1f ms  median %7.1f ms\n' "$pmin" "$pmed"
printf '  mutual TLS   min %7.1f ms  median %7.1f ms\n' "$tmin" "$tmed"
printf '  TLS - plaintext (medians): %+.1f ms per job\n' "$(echo "$tmed - $pmed" | bc)"
