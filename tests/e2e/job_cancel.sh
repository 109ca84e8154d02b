#!/usr/bin/env bash
# Cancelling jobs: a queued backup ends CANCELLED at once without reaching the
# agent; a running backup is stopped by its agent mid-way, ends CANCELLED and
# leaves nothing behind (no manifest, no objects, no catalogue entry); a job
# that ended cannot be cancelled.
CONTROLLER_FLAGS="--max_running_jobs_per_agent=1"
source "$(dirname "$0")/lib.sh"

start_postgres pg
psql_as postgres "CREATE DATABASE big"
psql_as postgres "CREATE DATABASE small"
# ~30 MB of text: zstd level 19 takes well over ten seconds on it.
psql_as big "CREATE TABLE t AS SELECT g, md5(g::text) || ' ' || md5((g*7)::text) || ' ' || now()::text AS s
             FROM generate_series(1, 300000) g"
psql_as small "CREATE TABLE t AS SELECT 1 AS x"
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"
for db in big small; do
  ctl database add "$db" --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
    --port="$PG_PORT" --user=dbdump --dbname="$db" --password-ref="file:$PG_PASSFILE"
done

job_state() { ctl --output=json job show "$1" | json_field 'd["job"]["state"]'; }
job_running_with_bytes() {
  ctl --output=json job show "$1" | json_field 'd["job"]["state"]=="JOB_STATE_RUNNING" and int(d["job"]["progress"]["bytes_in"])>0' | grep -q True
}
backups() { ctl --output=json backup list | json_field 'len(d.get("backups", []))'; }

step "a queued job is cancelled at once, without reaching the agent"
J1=$(ctl --output=json backup run big --compression=zstd --level=19 | json_field 'd["job"]["id"]')
wait_for "job $J1 to run" job_running_with_bytes "$J1"
# One job at a time on the agent: this one waits behind J1.
J2=$(ctl --output=json backup run small | json_field 'd["job"]["id"]')
[ "$(job_state "$J2")" = JOB_STATE_QUEUED ] || fail "job $J2 is $(job_state "$J2"), want QUEUED"
out=$(ctl job cancel "$J2")
[ "$out" = "job $J2 cancelled" ] || fail "cancel of the queued job said: $out"
[ "$(job_state "$J2")" = JOB_STATE_CANCELLED ] || fail "job $J2 is $(job_state "$J2"), want CANCELLED"
if grep -q "$J2" "$T/agent.log"; then fail "the cancelled queued job reached the agent"; fi

step "a running backup is cancelled mid-way: CANCELLED, nothing committed, nothing left"
B1=$(ctl --output=json job show "$J1" | json_field 'd["job"]["backup_id"]')
[ "$(job_state "$J1")" = JOB_STATE_RUNNING ] || fail "job $J1 ended before it could be cancelled"
out=$(ctl job cancel "$J1")
echo "$out" | grep -q "job $J1 is being cancelled by agent agent-1" || fail "cancel said: $out"
if ctl job wait "$J1" > "$T/j1.out" 2>&1; then fail "job $J1 succeeded after it was cancelled"; fi
[ "$(job_state "$J1")" = JOB_STATE_CANCELLED ] || fail "job $J1 is $(job_state "$J1"), want CANCELLED"
grep -q "cancelled on request" "$T/j1.out" || fail "no reason given: $(cat "$T/j1.out")"
grep -q "cancelling job $J1" "$T/agent.log" || fail "the agent was not asked to cancel $J1"
[ ! -e "$T/store/big/$B1/manifest.json" ] || fail "a manifest was committed for the cancelled job"
[ -z "$(find "$T/store" -type f 2>/dev/null)" ] || fail "files left: $(find "$T/store" -type f)"
[ "$(backups)" = 0 ] || fail "the cancelled job was catalogued"
sleep 1
if pg_dump_running big; then fail "pg_dump left running after the cancel"; fi

step "an ended job cannot be cancelled"
expect_error "already ended cancelled" ctl job cancel "$J1"

step "the databases are free again: a new backup succeeds"
ctl backup run small --wait > /dev/null
[ "$(backups)" = 1 ] || fail "the new backup was not catalogued"
echo "PASS"
