#!/usr/bin/env bash
# Nothing orphaned: an agent paused (SIGSTOP) mid-backup long enough for the
# controller to mark the job LOST keeps going when it resumes and commits the
# backup; the controller asks it for the outcome once it answers again, so
# the job ends SUCCEEDED (saying how that was learned), the backup is
# catalogued, its manifest is in storage and it restores. And right after a
# controller restart, a restore issued while its agent is still reconnecting
# is accepted (it waits for the agent's heartbeat) and succeeds.
# Agents heartbeat every 2 s: 3 missed (6 s) = offline.
CONTROLLER_FLAGS="--heartbeat_interval_s=2"
source "$(dirname "$0")/lib.sh"

start_postgres pg
psql_as postgres "CREATE DATABASE big"
# ~30 MB of text: zstd level 19 takes well over ten seconds on it.
psql_as big "CREATE TABLE t AS SELECT g, md5(g::text) || ' ' || md5((g*7)::text) || ' ' || now()::text AS s
             FROM generate_series(1, 300000) g"
FINGERPRINT="SELECT count(*) || ':' || md5(string_agg(g::text || s, ',' ORDER BY g)) FROM t"
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"
ctl database add big --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
  --port="$PG_PORT" --user=dbdump --dbname=big --password-ref="file:$PG_PASSFILE"

job_json() { ctl --output=json job show "$1"; }
job_state() { job_json "$1" | json_field 'd["job"]["state"]'; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }
job_running_with_bytes() {
  job_json "$1" | json_field 'd["job"]["state"]=="JOB_STATE_RUNNING" and int(d["job"]["progress"]["bytes_in"])>0' | grep -q True
}

step "agent paused mid-backup: the job is LOST, its outcome pending"
J=$(ctl --output=json backup run big --compression=zstd --level=19 | json_field 'd["job"]["id"]')
B=$(job_json "$J" | json_field 'd["job"]["backup_id"]')
wait_for "job $J to run" job_running_with_bytes "$J"
kill -STOP "$AGENT_PID"
wait_for "job $J to be LOST" job_is "$J" JOB_STATE_LOST
[ "$(job_json "$J" | json_field 'd["job"].get("outcome_pending", False)')" = True ] \
  || fail "the lost job's outcome is not pending: $(job_json "$J")"
[ -n "$(job_json "$J" | json_field 'd["job"].get("lost_at", "")')" ] || fail "no lost_at"
job_json "$J" | grep -q "the outcome is asked again when the agent answers" \
  || fail "the error does not say the outcome is asked again: $(job_json "$J")"
ctl job show "$J" | grep -q "^outcome: *outcome pending: asked again when the agent answers" \
  || fail "job show does not say the outcome is pending: $(ctl job show "$J")"
ctl job list | grep "$J" | grep -q "lost (outcome pending)" \
  || fail "job list does not say the outcome is pending: $(ctl job list)"
# Paused 12 s in all: longer than the 6 s that make an agent offline.
sleep 6

step "agent resumed: it finishes the backup and the controller learns it"
kill -CONT "$AGENT_PID"
# Until it ended for good: any state but RUNNING or a LOST still pending.
ended_for_good() {
  job_json "$1" | json_field 'd["job"]["state"] not in ("JOB_STATE_RUNNING", "JOB_STATE_LOST") or (d["job"]["state"] == "JOB_STATE_LOST" and not d["job"].get("outcome_pending", False))' | grep -q True
}
for _ in $(seq 1 600); do ended_for_good "$J" && break; sleep 0.3; done
[ "$(job_state "$J")" = JOB_STATE_SUCCEEDED ] || fail "job $J is $(job_state "$J"): $(job_json "$J")"
grep -q "asking it for the outcome of the job lost at" "$T/controller.log" \
  || fail "the controller did not ask the agent again"
NOTE=$(job_json "$J" | json_field 'd["job"].get("note", "")')
echo "$NOTE" | grep -q "contact with agent \"agent-1\" was lost at .*; the outcome was learned from the agent at " \
  || fail "the note does not say how the outcome was learned: $NOTE"
echo "   note: $NOTE"
[ -n "$(job_json "$J" | json_field 'd["job"].get("lost_at", "")')" ] || fail "lost_at was not kept"
[ "$(job_json "$J" | json_field 'd["job"].get("outcome_pending", False)')" = False ] || fail "still pending"
ctl job show "$J" | grep -q "^note: *contact with agent" || fail "job show has no note: $(ctl job show "$J")"
ctl --output=json backup list --database=big | json_field '[b["id"] for b in d.get("backups", [])]' \
  | grep -q "$B" || fail "backup $B is not catalogued"
[ -s "$T/store/big/$B/manifest.json" ] || fail "no manifest in storage for $B"
[ "$(grep -c "backup $J of big started" "$T/agent.log")" = 1 ] || fail "job $J ran more than once"

step "the recovered backup restores and matches"
ctl restore "$B" --target=big_restored --wait
[ "$(psql_as big_restored "$FINGERPRINT")" = "$(psql_as big "$FINGERPRINT")" ] \
  || fail "restored content differs"

step "controller restarted: a restore issued at once waits for the reconnecting agent"
# The agent cannot heartbeat the new controller until after the restore was
# issued, so without the wait it would be refused as offline.
kill -STOP "$AGENT_PID"
kill -9 "$CONTROLLER_PID"
sleep 7  # its last heartbeat is now older than 3 intervals
start_controller
ctl restore "$B" --target=big_restored2 --wait > "$T/restore2.out" 2>&1 &
RESTORE_PID=$!
sleep 1
kill -CONT "$AGENT_PID"
wait "$RESTORE_PID" || fail "the restore right after the restart failed: $(cat "$T/restore2.out")"
[ "$(psql_as big_restored2 "$FINGERPRINT")" = "$(psql_as big "$FINGERPRINT")" ] \
  || fail "restored content differs after the restart"
echo "PASS"
