#!/usr/bin/env bash
# Jobs survive a controller killed with SIGKILL: a restarted controller
# re-attaches to a job still running and learns the outcome of one that ended
# while it was down (the agent's journal); nothing runs twice. An agent killed
# mid-job turns the job LOST with a reason, never leaving it running, and no
# backup is committed.
REATTACH_S=4
source "$(dirname "$0")/lib.sh"

start_postgres pg
psql_as postgres "CREATE DATABASE big"
# ~10 MB of text: zstd level 19 takes several seconds on it.
psql_as big "CREATE TABLE t AS SELECT g, md5(g::text) || ' ' || md5((g*7)::text) || ' ' || now()::text AS s
             FROM generate_series(1, 100000) g"
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"
ctl database add big --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
  --port="$PG_PORT" --user=dbdump --dbname=big --password-ref="file:$PG_PASSFILE"

job_state() { ctl --output=json job show "$1" | json_field 'd["job"]["state"]'; }
job_running_with_bytes() {
  ctl --output=json job show "$1" | json_field 'd["job"]["state"]=="JOB_STATE_RUNNING" and int(d["job"]["progress"]["bytes_in"])>0' | grep -q True
}
start_backup() { ctl --output=json backup run big --compression=zstd --level=19 | json_field 'd["job"]["id"]'; }

step "controller killed while the job runs, restarted while it still runs"
J1=$(start_backup)
wait_for "job $J1 to run" job_running_with_bytes "$J1"
kill -9 "$CONTROLLER_PID"
sleep 1
start_controller
ctl job wait "$J1" || fail "job $J1 did not succeed after the controller restart"
[ "$(job_state "$J1")" = JOB_STATE_SUCCEEDED ] || fail "job $J1 is $(job_state "$J1")"
grep -q "re-attaching to job $J1" "$T/controller.log" || fail "controller did not re-attach to $J1"

step "controller killed, job ends while it is down, restarted"
J2=$(start_backup)
wait_for "job $J2 to run" job_running_with_bytes "$J2"
kill -9 "$CONTROLLER_PID"
for _ in $(seq 1 300); do grep -q "backup $J2 ended" "$T/agent.log" && break; sleep 0.2; done
grep -q "backup $J2 ended: succeeded" "$T/agent.log" || fail "agent did not finish $J2"
start_controller
ctl job wait "$J2" || fail "job $J2 did not succeed after the controller restart"
[ "$(ctl --output=json backup list --database=big | json_field 'len(d["backups"])')" = 2 ] \
  || fail "expected exactly two catalogued backups"
for j in "$J1" "$J2"; do
  [ "$(grep -c "backup $j of big started" "$T/agent.log")" = 1 ] || fail "job $j ran more than once"
done

step "agent killed mid-job: the job ends LOST, no backup committed"
wait_for "agent to heartbeat the new controller" agent_online
J3=$(start_backup)
wait_for "job $J3 to run" job_running_with_bytes "$J3"
B3=$(ctl --output=json job show "$J3" | json_field 'd["job"]["backup_id"]')
kill -9 "$AGENT_PID"
if ctl job wait "$J3" > "$T/j3.out" 2>&1; then fail "job $J3 succeeded without an agent"; fi
[ "$(job_state "$J3")" = JOB_STATE_LOST ] || fail "job $J3 is $(job_state "$J3"), want LOST"
grep -q "stopped answering" "$T/j3.out" || fail "no reason for the lost job: $(cat "$T/j3.out")"
[ ! -e "$T/store/big/$B3/manifest.json" ] || fail "a manifest was committed for the lost job"
[ "$(ctl --output=json backup list --database=big | json_field 'len(d["backups"])')" = 2 ] \
  || fail "the lost job was catalogued"
# pg_dump died with its agent's process group or on its own pipe; nothing runs on.
sleep 1
if pg_dump_running big; then fail "pg_dump left running after the agent died"; fi

step "agent stopped with SIGTERM mid-job: the job ends CANCELLED, cleanly"
start_agent
wait_for "agent to come back" agent_online
# Back, the agent is asked for J3's outcome: it has no record of the job
# (or journals it failed), which is final; until then J3 is followed again.
outcome_settled() {
  ctl --output=json job show "$J3" | json_field 'd["job"]["state"] in ("JOB_STATE_LOST", "JOB_STATE_FAILED") and not d["job"].get("outcome_pending", False)' | grep -q True
}
wait_for "the outcome of $J3 to be settled" outcome_settled
J4=$(start_backup)
wait_for "job $J4 to run" job_running_with_bytes "$J4"
B4=$(ctl --output=json job show "$J4" | json_field 'd["job"]["backup_id"]')
kill -TERM "$AGENT_PID"
for _ in $(seq 1 150); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$AGENT_PID" 2>/dev/null; then fail "the agent did not stop on SIGTERM"; fi
if ctl job wait "$J4" > "$T/j4.out" 2>&1; then fail "job $J4 succeeded after the agent was stopped"; fi
[ "$(job_state "$J4")" = JOB_STATE_CANCELLED ] || fail "job $J4 is $(job_state "$J4"), want CANCELLED"
grep -q "cancelling job $J4 for shutdown" "$T/agent.log" || fail "the agent did not cancel $J4 on shutdown"
[ -z "$(find "$T/store/big/$B4" -type f 2>/dev/null)" ] || fail "files left for the cancelled job: $(ls "$T/store/big/$B4")"
echo "PASS"
