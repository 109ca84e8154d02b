#!/usr/bin/env bash
# Agents finish what they own: whatever a killed agent (kill -9) leaves
# behind is found in its write journal when it starts again, and removed or
# kept as the job's real outcome says; a lost CreateMultipartUpload reply
# leaves no upload; a restore refuses a manifest whose sizes do not match.
# Real processes, moto with signature checking behind the fault proxy, a
# local store.
REATTACH_S=40
source "$(dirname "$0")/lib.sh"

start_s3 moto moto
MOTO="$T/moto"
echo '[]' > "$T/plan.json"
python3 "$FIXTURES/fault_proxy.py" --upstream "$(cat "$MOTO/endpoint")" --plan "$T/plan.json" \
  --log "$T/proxy.log" --port-file "$T/proxy.port" >/dev/null 2>"$T/proxy.err" &
PIDS+=($!)
wait_for "fault proxy" test -s "$T/proxy.port"
PROXY="http://127.0.0.1:$(cat "$T/proxy.port")"
set_plan() { echo "$1" > "$T/plan.tmp" && mv "$T/plan.tmp" "$T/plan.json"; sleep 0.3; }
aws_moto() { AWS_SHARED_CREDENTIALS_FILE="$MOTO/credentials" aws --region us-east-1 --endpoint-url "$(cat "$MOTO/endpoint")" "$@"; }
uploads() { aws_moto s3api list-multipart-uploads --bucket dbdump-test --output json | json_field 'len(d.get("Uploads") or [])'; }
no_uploads() { [ "$(uploads)" = 0 ]; }
s3_keys() { aws_moto s3api list-objects-v2 --bucket dbdump-test --prefix "$1" --output json | json_field '" ".join(o["Key"] for o in d.get("Contents", []))'; }
partials() { find "$T" -name '*.partial-*' -o -name '*.dbdump-partial-*' | grep -v "$T/moto" | wc -l; }
no_partials() { [ "$(partials)" = 0 ]; }
job_field() { ctl --output=json job show "$1" | json_field "d['job'].get('$2', '')"; }
# Ended for good: LOST with its outcome still pending is not an end (the
# controller asks the agent again when it answers).
job_ended() {
  case "$(job_field "$1" state)" in JOB_STATE_QUEUED|JOB_STATE_RUNNING) return 1;; esac
  [ "$(job_field "$1" outcome_pending)" != True ]
}
job_has_bytes() { [ "$(ctl --output=json job show "$1" | json_field 'int(d["job"].get("progress", {}).get("bytes_in", 0))')" -gt 0 ]; }
backups() { ctl --output=json backup list | json_field 'len(d.get("backups", []))'; }
kill_agent() { kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; }
# expect_end JOB STATE TEXT: the job ends in STATE with TEXT in its error or note.
expect_end() {
  local i
  for i in $(seq 1 300); do job_ended "$1" && break; sleep 0.2; done
  job_ended "$1" || fail "job $1 did not end within 60 s: $(ctl --output=json job show "$1")"
  local state; state=$(job_field "$1" state)
  [ "$state" = "$2" ] || fail "job $1 ended $state, want $2: $(job_field "$1" error)"
  ctl --output=json job show "$1" | grep -q -- "$3" || fail "job $1 does not say '$3': $(ctl --output=json job show "$1")"
  echo "   job $1 ended $state: $(job_field "$1" error)$(job_field "$1" note)"
}

# ~24 MiB of hex text: zstd at level 19 takes seconds on it, and it is
# several 5 MiB parts uncompressed.
python3 - "$T/big.db" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)")
db.executemany("INSERT INTO t (s) VALUES (?)", ((os.urandom(256).hex(),) for _ in range(48000)))
db.commit()
PY
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"
ctl storage add s3 --kind=s3 --bucket=dbdump-test --prefix=backups --endpoint="$PROXY" --path-style \
  --credentials-ref="file:$MOTO/credentials" --part-size=5MiB
ctl database add big-local --engine=sqlite --agent=agent-1 --storage=local --path="$T/big.db"
ctl database add big-s3 --engine=sqlite --agent=agent-1 --storage=s3 --path="$T/big.db"

step "kill -9 mid-backup into a local store: the partial file is removed when the agent starts again"
J=$(ctl --output=json backup run big-local --compression=zstd --level=19 | json_field 'd["job"]["id"]')
wait_for "job $J to stream" job_has_bytes "$J"
kill_agent
[ "$(partials)" -ge 1 ] || fail "the killed backup left no partial file to clean up (too fast?)"
echo "   left behind: $(find "$T/store" -type f)"
start_agent
expect_end "$J" JOB_STATE_FAILED "before the backup was committed"
wait_for "partial files to go" no_partials
[ -z "$(find "$T/store" -type f)" ] || fail "left in the store: $(find "$T/store" -type f)"

step "kill -9 mid-upload to S3: the incomplete multipart upload is aborted when the agent starts again"
set_plan '[{"method": "PUT", "path": "partNumber=", "action": "delay_ms", "delay_ms": 1500, "times": -1}]'
J=$(ctl --output=json backup run big-s3 --compression=none | json_field 'd["job"]["id"]')
some_upload() { [ "$(uploads)" -ge 1 ]; }
wait_for "an upload to start" some_upload
kill_agent
[ "$(uploads)" -ge 1 ] || fail "the killed agent left no upload (nothing to test)"
echo "   left behind: $(uploads) incomplete upload(s)"
set_plan '[]'
start_agent
expect_end "$J" JOB_STATE_FAILED "before the backup was committed"
wait_for "the upload to be aborted" no_uploads
[ -z "$(s3_keys backups/big-s3/)" ] || fail "objects left: $(s3_keys backups/big-s3/)"

step "a lost CreateMultipartUpload reply leaves no upload behind"
set_plan '[{"method": "POST", "path": "\\?uploads", "action": "reset", "forward": true}]'
ctl backup run big-s3 --compression=none --wait >/dev/null
grep -q "uploads.*action=reset" "$T/proxy.log" || fail "the proxy did not drop a CreateMultipartUpload reply"
wait_for "the orphan upload to be aborted" no_uploads
set_plan '[]'

step "kill -9 after the dump, before the manifest: the dump is removed, nothing is catalogued"
have=$(backups)
set_plan '[{"method": "PUT", "path": "manifest\\.json", "action": "status", "status": 503, "times": -1}]'
J=$(ctl --output=json backup run big-s3 --compression=none | json_field 'd["job"]["id"]')
wait_for "the manifest to be tried" grep -q "manifest.json.*action=status" "$T/proxy.log"
kill_agent
B=$(job_field "$J" backup_id)
echo "   left behind: $(s3_keys "backups/big-s3/$B/")"
[ -n "$(s3_keys "backups/big-s3/$B/")" ] || fail "no dump was left to clean up"
set_plan '[]'
start_agent
expect_end "$J" JOB_STATE_FAILED "before the backup was committed"
no_keys() { [ -z "$(s3_keys "$1")" ]; }
wait_for "the dump to be removed" no_keys "backups/big-s3/$B/"
[ "$(backups)" = "$have" ] || fail "the backup without a manifest was catalogued"

step "kill -9 after the manifest was written, before the agent heard so: a success, catalogued"
: > "$T/proxy.log"
set_plan '[{"method": "PUT", "path": "manifest\\.json", "action": "reset", "forward": true, "times": -1}]'
J=$(ctl --output=json backup run big-s3 --compression=none | json_field 'd["job"]["id"]')
wait_for "the manifest to be written" grep -q "manifest.json.*action=reset" "$T/proxy.log"
kill_agent
set_plan '[]'
B=$(job_field "$J" backup_id)
aws_moto s3api head-object --bucket dbdump-test --key "backups/big-s3/$B/manifest.json" >/dev/null \
  || fail "the manifest is not in the bucket"
start_agent
expect_end "$J" JOB_STATE_SUCCEEDED "JOB_STATE_SUCCEEDED"
ctl --output=json backup show "$B" | grep -q BACKUP_STATE_COMPLETED || fail "backup $B is not catalogued"
grep -q "of an earlier agent process ended JOB_STATE_SUCCEEDED" "$T/agent.log" || fail "the agent did not say how it knew"

step "kill -9 mid-restore of SQLite: the temporary file beside the target is removed"
set_plan '[{"method": "GET", "path": "big-s3/.*/dump", "action": "delay_ms", "delay_ms": 4000, "times": -1}]'
R=$(ctl --output=json restore "$B" --target="$T/restored.db" | json_field 'd["job"]["id"]')
restore_temp() { ls "$T"/restored.db.dbdump-partial-* >/dev/null 2>&1; }
wait_for "the restore's temporary file" restore_temp
kill_agent
set_plan '[]'
start_agent
expect_end "$R" JOB_STATE_FAILED "before the restore ended"
wait_for "the temporary file to go" no_partials
[ ! -e "$T/restored.db" ] || fail "a killed restore created its target"
ctl restore "$B" --target="$T/restored.db" --wait >/dev/null
[ "$(sqlite3 "$T/big.db" .dump | sha256sum)" = "$(sqlite3 "$T/restored.db" .dump | sha256sum)" ] \
  || fail "the recovered backup restores different data"

step "a restore refuses a manifest whose sizes disagree with the data, even when both checksums match"
ctl backup run big-local --compression=zstd --level=1 --wait >/dev/null
L=$(ctl --output=json backup list --database=big-local | json_field 'd["backups"][0]["id"]')
python3 - "$T/store/big-local/$L/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["raw_size_bytes"] = str(int(m["raw_size_bytes"]) + 1)
json.dump(m, open(sys.argv[1], "w"))
PY
expect_job_failure "does not match its manifest" ctl restore "$L" --target="$T/sized.db" --wait
[ ! -e "$T/sized.db" ] || fail "the refused restore created its target"

step "nothing left anywhere"
no_uploads || fail "incomplete uploads left: $(uploads)"
no_partials || fail "partial files left: $(find "$T" -name '*partial-*')"
[ -z "$(ls "$T/agent-work/writes" 2>/dev/null)" ] || fail "write journal entries left: $(ls "$T/agent-work/writes")"
echo "PASS"
