#!/usr/bin/env bash
# The controller's memory with many enrolled agents: a controller over
# mutual TLS, N real dbdump-agent processes enrolled with join tokens and
# heartbeating every second, and, for comparison in the same run, the same
# with --insecure_plaintext. Prints the controller's resident memory (VmRSS)
# and peak (VmHWM) idle, and after 20 s of heartbeats from every agent, and
# how long `agent list` takes with all of them.
#
#   bench/enrolled_agents.sh [agents]
set -euo pipefail
N=${1:-100}
source "$(dirname "$0")/lib.sh"

rss_mib() { awk -v k="$2:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# run_mode MODE: tls or plaintext.
run_mode() {
  local mode=$1 dir="$T/$1" port flags=() agent_pids=()
  mkdir -p "$dir"
  port=$(free_port)
  export DBDUMP_CONTROLLER=127.0.0.1:$port DBDUMP_CONFIG_DIR="$dir/cli" DBDUMP_INSECURE_PLAINTEXT=0
  [ "$mode" = plaintext ] && flags=(--insecure_plaintext) && export DBDUMP_INSECURE_PLAINTEXT=1
  "$BIN/dbdump-controller" --listen=127.0.0.1:$port --store="$dir/controller.db" --state_dir="$dir/state" \
    --heartbeat_interval_s=1 "${flags[@]}" >>"$dir/controller.log" 2>&1 &
  local cpid=$!
  PIDS+=("$cpid")
  if [ "$mode" = tls ]; then
    trust_controller "$dir/state" "$dir/cli"
  fi
  wait_for "controller" ctl agent list
  sleep 1
  local idle_rss
  idle_rss=$(rss_mib "$cpid" VmRSS)
  local t0 t1
  t0=$(date +%s.%N)
  for i in $(seq 1 "$N"); do
    local join=(--insecure_plaintext)
    if [ "$mode" = tls ]; then
      enroll "bench-$i"
      join=("${JOIN_FLAGS[@]}")
    fi
    "$BIN/dbdump-agent" --name="bench-$i" --listen=127.0.0.1:$(free_port) --controller=127.0.0.1:$port \
      --work_dir="$dir/agent-$i" "${join[@]}" >>"$dir/agents.log" 2>&1 &
    PIDS+=("$!")
    agent_pids+=("$!")
  done
  unset DBDUMP_JOIN_TOKEN
  for _ in $(seq 1 600); do
    [ "$(ctl --output=json agent list --limit=1000 | grep -c '"online": true')" -ge "$N" ] && break
    sleep 0.5
  done
  t1=$(date +%s.%N)
  local online
  online=$(ctl --output=json agent list --limit=1000 | grep -c '"online": true')
  sleep 20
  local list_t0 list_t1
  list_t0=$(date +%s.%N)
  ctl agent list >/dev/null
  list_t1=$(date +%s.%N)
  printf '%-9s controller idle %6s MiB; with %d of %d agents online after 20 s of heartbeats: VmRSS %6s MiB, VmHWM %6s MiB; all enrolled and online in %.1f s; agent list %.3f s\n' \
    "$mode" "$idle_rss" "$online" "$N" "$(rss_mib "$cpid" VmRSS)" "$(rss_mib "$cpid" VmHWM)" \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$list_t1 - $list_t0" | bc)"
  kill "${agent_pids[@]}" "$cpid" 2>/dev/null || true
  wait "${agent_pids[@]}" "$cpid" 2>/dev/null || true
}

step "$N agents, mutual TLS (enrolled) and plaintext, one after the other"
run_mode tls
run_mode plaintext
