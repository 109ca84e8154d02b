#!/usr/bin/env bash
# Scheduled backups with the real binaries: a schedule in a named zone shows
# its next runs; its slot is taken by the scheduler, the controller is killed
# with SIGKILL while that job runs and restarted: the job ends SUCCEEDED,
# nothing runs twice. Then retention's dry run and apply through the agent
# (files and catalogue agree), verification of what is stored, and the
# webhook notification of the scheduled job's success.
REATTACH_S=10
source "$(dirname "$0")/lib.sh"

start_postgres pg
psql_as postgres "CREATE DATABASE big"
psql_as big "CREATE TABLE t AS SELECT g, md5(g::text) || ' ' || md5((g*7)::text) || ' ' || now()::text AS s
             FROM generate_series(1, 100000) g"

# A webhook receiver started by this test; the HMAC key lives in a 0600 file.
printf 'e2e-hmac-key' > "$T/hook.key"; chmod 600 "$T/hook.key"
python3 "$FIXTURES/notify_receiver.py" http --out "$T/hook.jsonl" --secret e2e-hmac-key > "$T/hook.port" &
PIDS+=("$!")
wait_for "webhook receiver" grep -q PORT "$T/hook.port"
HOOK_PORT=$(awk '{print $2}' "$T/hook.port")
(umask 077; echo "http://127.0.0.1:$HOOK_PORT/hook" > "$T/hook.url")

start_sched_controller() {
  "$BIN/dbdump-controller" --listen=127.0.0.1:$CTL_PORT --store="$T/controller.db" \
    --state_dir="$T/state" --heartbeat_interval_s=1 --reattach_timeout_s="$REATTACH_S" --schedule_tick_ms=200 \
    --notify_webhook_url_file="$T/hook.url" \
    --notify_webhook_secret_file="$T/hook.key" --notify_events=failure,success \
    >>"$T/controller.log" 2>&1 &
  CONTROLLER_PID=$!
  PIDS+=("$CONTROLLER_PID")
  use_controller_credentials
  wait_for "controller to listen" ctl agent list
}

start_sched_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"
ctl database add big --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
  --port="$PG_PORT" --user=dbdump --dbname=big --password-ref="file:$PG_PASSFILE"

step "a schedule in a named zone, its next five runs"
expect_error "field 2 (hour)" ctl schedule add bad --database=big --cron="0 24 * * *" --tz=UTC
expect_error 'unknown time zone "Mars/Olympus"' ctl schedule add bad --database=big --cron=@daily --tz=Mars/Olympus
ctl schedule next "30 2 * * *" --tz=Europe/Berlin --count=5 | tee "$T/next.txt"
[ "$(wc -l < "$T/next.txt")" = 5 ] || fail "expected five next runs"
grep -Eq '^[0-9-]{10} 02:30 CES?T \(UTC\+0[12]:00\)  [0-9T:-]{19}Z$' "$T/next.txt" \
  || fail "next runs are not shown as Berlin wall-clock times"
# Every minute, so a slot comes within 60 s; zstd 19 makes the job last seconds.
ctl schedule add every-minute --database=big --cron="* * * * *" --tz=Europe/Berlin \
  --compression=zstd --level=19 --keep-last=2 --max-attempts=1
ctl schedule show every-minute --next=5 | tee "$T/show.txt"
[ "$(grep -c 'CES\?T  (' "$T/show.txt")" = 5 ] || fail "schedule show lists five next runs"

step "the slot is taken, the controller is killed mid-job and restarted"
sched_job() {
  ctl --output=json job list --database=big | json_field \
    '[j["id"] for j in d.get("jobs", []) if j.get("schedule")=="every-minute" and j["state"]=="JOB_STATE_RUNNING" and int(j["progress"].get("bytes_in", 0))>0][0]'
}
for _ in $(seq 1 400); do J=$(sched_job 2>/dev/null) && break; sleep 0.2; done
[ -n "${J:-}" ] || fail "no scheduled job ran within 80 s"
echo "   scheduled job $J is running"
# No further slots: the restart must not produce a second job.
ctl schedule disable every-minute
kill -9 "$CONTROLLER_PID"
sleep 1
start_sched_controller
ctl job wait "$J" || fail "scheduled job $J did not succeed after the restart"
grep -q "re-attaching to job $J" "$T/controller.log" || fail "controller did not re-attach to $J"
[ "$(grep -c "backup $J of big started" "$T/agent.log")" = 1 ] || fail "job $J ran more than once"
[ "$(ctl --output=json job list --database=big | json_field 'len(d["jobs"])')" = 1 ] \
  || fail "the slot produced more than one job"

step "retention: dry run, apply through the agent, files and catalogue agree"
# A second backup; the schedule keeps the last 2, so retention after it deletes nothing.
ctl backup run big --wait >/dev/null
ctl retention plan big | tee "$T/plan.txt"
grep -q "dry run: 0 of 2 backups would be deleted" "$T/plan.txt" || fail "the schedule keeps two"
ctl retention plan big --keep-last=1 | tee "$T/plan.txt"
grep -q "dry run: 1 of 2 backups would be deleted" "$T/plan.txt" || fail "dry run should delete one"
OLD=$(ctl --output=json retention plan big --keep-last=1 | json_field '[v["backup_id"] for v in d["verdicts"] if not v.get("keep")][0]')
[ -e "$T/store/big/$OLD/manifest.json" ] || fail "the dry run deleted something"
ctl retention set big --keep-last=1 --tz=Europe/Berlin
ctl retention apply big
[ ! -e "$T/store/big/$OLD/manifest.json" ] || fail "manifest of $OLD still there"
[ -z "$(ls -A "$T/store/big/$OLD" 2>/dev/null)" ] || fail "objects of $OLD still there"
[ "$(ctl --output=json backup show "$OLD" | json_field 'bool(d["backup"].get("deleted_at"))')" = True ] \
  || fail "catalogue does not mark $OLD deleted"
[ "$(ctl --output=json backup show "$OLD" | json_field 'd["backup"]["state"]')" = BACKUP_STATE_DELETED ] \
  || fail "backup show does not say $OLD is deleted"
ctl backup list --database=big | grep "^$OLD " | grep -qw deleted || fail "backup list does not say $OLD is deleted"
expect_error "was deleted at" ctl restore "$OLD" --target=big_again
NEW=$(ctl --output=json backup list --database=big | json_field '[b["id"] for b in d["backups"] if not b.get("deleted_at")][0]')
[ -e "$T/store/big/$NEW/manifest.json" ] || fail "the newest backup was touched"

step "verification of what is stored"
ctl backup verify "$NEW"
python3 - "$T/store/big/$NEW" <<'PY'
import os, sys
d = sys.argv[1]
dump = [f for f in os.listdir(d) if f.startswith("dump.")][0]
p = os.path.join(d, dump)
with open(p, "r+b") as f:
    f.seek(os.path.getsize(p) // 2); b = f.read(1); f.seek(-1, 1); f.write(bytes([b[0] ^ 0x5a]))
PY
expect_error "failed verification" ctl backup verify "$NEW"

step "notifications: the scheduled job's success reached the webhook, signed"
wait_for "webhook notification" grep -q "backup of big succeeded" "$T/hook.jsonl"
grep "every-minute" "$T/hook.jsonl" | grep -q '"signature_ok": true' \
  || fail "no signed notification of the scheduled job: $(cat "$T/hook.jsonl")"
! grep -q "e2e-hmac-key" "$T/hook.jsonl" || fail "the HMAC key was sent"
ctl health
ctl stats
echo "PASS"
