#!/usr/bin/env bash
# Latency from an agent's progress event to a FollowJob client, through a
# real dbdump-controller: bench/follow_latency.sh BASELINE_CONTROLLER [rounds] [events]
#
# BASELINE_CONTROLLER is another build's dbdump-controller binary (e.g. one
# built from an older commit). Rounds alternate baseline and current
# ($DBDUMP_BIN/dbdump-controller), each with a fresh store; each round sends
# `events` progress events 5 ms apart (bench/follow_latency.cc) and reports
# p50 and p99 over all of them. Prints min and median over the rounds of
# each, and the ratios current / baseline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DBDUMP_BIN:-$root/build}
baseline=${1:?usage: follow_latency.sh BASELINE_CONTROLLER [rounds] [events]}
rounds=${2:-5}
events=${3:-1000}
T=$(mktemp -d /tmp/dbdump-bench.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# one_round CONTROLLER_BINARY [FLAGS...]: prints "p50 p99" in ms. The probe
# speaks plaintext: this build runs --insecure_plaintext; a baseline from
# before TLS existed needs no flag (BASELINE_FLAGS to override).
one_round() {
  local dir port out bin=$1
  shift
  dir=$(mktemp -d "$T/round.XXXX")
  port=$(free_port)
  "$bin" --listen=127.0.0.1:$port --store="$dir/controller.db" --heartbeat_interval_s=1 "$@" \
    >"$dir/controller.log" 2>&1 &
  PID=$!
  out=$("$BIN/follow_latency" --controller=127.0.0.1:$port --work_dir="$dir" --events="$events")
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo "$out" | awk '{print $6, $8}'
}

declare -a base50 base99 cur50 cur99
for r in $(seq 1 "$rounds"); do
  read -r b50 b99 < <(one_round "$baseline" ${BASELINE_FLAGS:-})
  read -r c50 c99 < <(one_round "$BIN/dbdump-controller" --insecure_plaintext)
  base50+=("$b50"); base99+=("$b99"); cur50+=("$c50"); cur99+=("$c99")
  printf 'round %d: baseline p50 %8.2f ms p99 %8.2f ms | current p50 %8.2f ms p99 %8.2f ms\n' \
    "$r" "$b50" "$b99" "$c50" "$c99"
done

# stats NUMBERS...: "min median"
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f %.2f", a[1], m}'; }
read -r b50min b50med <<<"$(stats "${base50[@]}")"
read -r b99min b99med <<<"$(stats "${base99[@]}")"
read -r c50min c50med <<<"$(stats "${cur50[@]}")"
read -r c99min c99med <<<"$(stats "${cur99[@]}")"
echo "progress event -> FollowJob client, $events events x $rounds rounds (ms):"
printf '  %-9s p50 min %8.2f median %8.2f   p99 min %8.2f median %8.2f\n' \
  baseline "$b50min" "$b50med" "$b99min" "$b99med" current "$c50min" "$c50med" "$c99min" "$c99med"
awk -v a="$c50med" -v b="$b50med" -v c="$c99med" -v d="$b99med" \
  'BEGIN {printf "  current / baseline (medians): p50 %.4f  p99 %.4f\n", (b>0?a/b:0), (d>0?c/d:0)}'
