#!/usr/bin/env bash
# Burst of scheduled backups with the real binaries: 500 tiny SQLite
# databases on 5 agents, all scheduled "* * * * *", so 500 jobs fall due in
# the same scheduler pass. Reports how fast the controller dispatches and
# finishes them within its limits (16 running, 4 per agent) and its peak RSS.
#   DBDUMP_BIN=build DBDUMP_FIXTURES=tests/fixtures bench/schedule_burst.sh [N]
N=${1:-500}
AGENTS=5
source "$(dirname "$0")/../tests/e2e/lib.sh"
# Measures dispatch, not TLS: everything plaintext.
export DBDUMP_INSECURE_PLAINTEXT=1

"$BIN/dbdump-controller" --listen=127.0.0.1:$CTL_PORT --store="$T/controller.db" \
  --heartbeat_interval_s=2 --schedule_tick_ms=200 --max_running_jobs=16 \
  --max_running_jobs_per_agent=4 --insecure_plaintext >>"$T/controller.log" 2>&1 &
CONTROLLER_PID=$!
PIDS+=("$CONTROLLER_PID")
wait_for "controller to listen" ctl agent list
for a in $(seq 0 $((AGENTS - 1))); do
  "$BIN/dbdump-agent" --name=agent-$a --listen=127.0.0.1:$(free_port) \
    --controller=127.0.0.1:$CTL_PORT --work_dir="$T/work-$a" --insecure_plaintext >>"$T/agent-$a.log" 2>&1 &
  PIDS+=("$!")
done
wait_for "agents to register" bash -c "[ \$($BIN/dbdumpctl --output=json agent list --limit=1000 | grep -c '\"online\": true') = $AGENTS ]"
ctl storage add local --kind=local --path="$T/store" >/dev/null
python3 - "$T" "$N" <<'PY'
import sqlite3, sys
for i in range(int(sys.argv[2])):
    c = sqlite3.connect(f"{sys.argv[1]}/db{i}.db")
    c.execute("CREATE TABLE t(a)"); c.execute("INSERT INTO t VALUES (?)", (i,)); c.commit(); c.close()
PY
echo "adding $N databases and schedules..."
for i in $(seq 0 $((N - 1))); do
  ctl database add db$i --engine=sqlite --agent=agent-$((i % AGENTS)) --storage=local \
    --path="$T/db$i.db" --skip-connection-test >/dev/null
  ctl schedule add s$i --database=db$i --cron="* * * * *" --tz=UTC >/dev/null
done
# Wait for the next minute boundary, then follow the burst.
now=$(date +%s); boundary=$(( (now / 60 + 1) * 60 ))
# Jobs that ended, over every page of the job list.
ended_jobs() {
  local token="" total=0 n
  while :; do
    read -r n token < <(ctl --output=json job list --limit=1000 ${token:+--page-token="$token"} | python3 -c '
import json,sys; d=json.load(sys.stdin)
print(sum(1 for j in d.get("jobs",[]) if j["state"] in ("JOB_STATE_SUCCEEDED","JOB_STATE_FAILED","JOB_STATE_LOST")), d.get("next_page_token",""))')
    total=$((total + n))
    [ -n "$token" ] || break
  done
  echo "$total"
}
echo "waiting $((boundary - now)) s for the slot at $(date -u -d @$boundary +%H:%M:%S)"
sleep $((boundary - now))
peak=0
while true; do
  rss=$(ps -o rss= -p "$CONTROLLER_PID" | tr -d ' ')
  [ "$rss" -gt "$peak" ] && peak=$rss
  done_jobs=$(ended_jobs)
  [ "$done_jobs" -ge "$N" ] && break
  sleep 0.2
done
end=$(date +%s.%N)
for i in $(seq 0 $((N - 1))); do ctl schedule disable s$i >/dev/null; done
python3 - "$T/controller.db" "$boundary" "$end" "$peak" "$N" <<'PY'
import sqlite3, sys
db, boundary, end, peak, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
c = sqlite3.connect(db)
states = dict(c.execute("SELECT state, COUNT(*) FROM jobs WHERE schedule != '' GROUP BY state"))
print(f"jobs by state: {states} (3 = succeeded)")
first = c.execute("SELECT MIN(created_at), MAX(finished_at) FROM jobs").fetchone()
print(f"first job created {first[0]}, last finished {first[1]}")
secs = end - boundary
print(f"{n} scheduled jobs due at once: all ended {secs:.1f} s after the slot "
      f"(includes the 200 ms tick and this script's polling) = {n/secs:.0f} jobs/s; "
      f"controller peak RSS {peak/1024:.1f} MiB")
PY
