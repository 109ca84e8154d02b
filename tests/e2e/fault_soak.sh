#!/usr/bin/env bash
# Soak under faults: SOAK_JOBS (300) backups of eight SQLite databases, four
# into a local store and four into moto S3 (behind the fault proxy), on two
# agents, while a driver at random kills agents (-9) and the controller (-9),
# pauses agents past the heartbeat timeout (SIGSTOP/SIGCONT) and injects S3
# faults (503s, connection resets after the server did the work). At the
# end, with everything running again: every job has a final state, the
# catalogue's completed backups equal the manifests in storage exactly, no
# incomplete upload, partial file or dump without a manifest remains, storage
# reconciliation finds nothing to do, and a random sample of 20 backups
# restores and matches its database. Prints the figures.
REATTACH_S=6
SOAK_JOBS=${SOAK_JOBS:-300}
SOAK_MAX_S=${SOAK_MAX_S:-300}
CONTROLLER_FLAGS="--reconcile_interval=0 --max_running_jobs_per_agent=3"
source "$(dirname "$0")/lib.sh"
# Processes the fault driver (a subshell) restarts are not in PIDS: stop
# everything started under $T as well.
trap 'rc=$?; touch "$T/stop-chaos" 2>/dev/null; pkill -9 -f -- "$T/" 2>/dev/null
  if [ -n "${SOAK_KEEP_LOGS:-}" ]; then mkdir -p "$SOAK_KEEP_LOGS"; cp "$T"/*.log "$SOAK_KEEP_LOGS"/ 2>/dev/null; fi
  if [ "$rc" != 0 ]; then for f in "$T"/agent-agent-*.log; do echo "--- $f"; tail -n 15 "$f"; done; fi
  (exit $rc); cleanup' EXIT

start_s3 moto moto
MOTO="$T/moto"
echo '[]' > "$T/plan.json"
python3 "$FIXTURES/fault_proxy.py" --upstream "$(cat "$MOTO/endpoint")" --plan "$T/plan.json" \
  --log /dev/null --port-file "$T/proxy.port" >/dev/null 2>"$T/proxy.err" &
PIDS+=($!)
wait_for "fault proxy" test -s "$T/proxy.port"
set_plan() { echo "$1" > "$T/plan.tmp" && mv "$T/plan.tmp" "$T/plan.json"; }
aws_moto() { AWS_SHARED_CREDENTIALS_FILE="$MOTO/credentials" aws --region us-east-1 --endpoint-url "$(cat "$MOTO/endpoint")" "$@"; }

# Agents agent-1 and agent-2, each with its own port and work directory.
declare -A APORT
APORT[agent-1]=$AGENT_PORT
APORT[agent-2]=$(free_port)
start_agent_n() {
  local n=$1 flags=()
  if [ ! -s "$T/work-$n/tls/agent.pem" ]; then enroll "$n"; flags=("${JOIN_FLAGS[@]}"); fi
  "$BIN/dbdump-agent" --name="$n" --listen="127.0.0.1:${APORT[$n]}" --controller="127.0.0.1:$CTL_PORT" \
    --work_dir="$T/work-$n" --cleanup_interval_s=5 "${flags[@]}" >>"$T/agent-$n.log" 2>&1 &
  echo $! > "$T/pid-$n"
  unset DBDUMP_JOIN_TOKEN
}
pid_of() { cat "$T/pid-$1"; }
restart_controller() {
  kill -9 "$(pid_of controller)" 2>/dev/null || true
  while kill -0 "$(pid_of controller)" 2>/dev/null; do sleep 0.05; done
  "$BIN/dbdump-controller" --listen=127.0.0.1:$CTL_PORT --store="$T/controller.db" \
    --state_dir="$T/state" --heartbeat_interval_s=1 --reattach_timeout_s=$REATTACH_S $CONTROLLER_FLAGS \
    >>"$T/controller.log" 2>&1 &
  echo $! > "$T/pid-controller"
}

step "eight SQLite databases, two storages, two agents"
for i in 1 2 3 4 5 6 7 8; do
  # The S3 ones (5-8) hold 6 MiB of random bytes: two multipart parts.
  python3 - "$T/db$i.sqlite" "$i" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); i = int(sys.argv[2])
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
n = 96 if i > 4 else 4
db.executemany("INSERT INTO t (b) VALUES (?)", ((os.urandom(65536),) for _ in range(n)))
db.commit()
PY
done
start_controller
echo "$CONTROLLER_PID" > "$T/pid-controller"
start_agent_n agent-1
start_agent_n agent-2
both_online() { [ "$(ctl --output=json agent list | grep -c '"online": true')" = 2 ]; }
wait_for "agents to register" both_online
ctl storage add local --kind=local --path="$T/store" --prefix=soak >/dev/null
ctl storage add s3 --kind=s3 --bucket=dbdump-test --prefix=soak --endpoint="http://127.0.0.1:$(cat "$T/proxy.port")" \
  --path-style --credentials-ref="file:$MOTO/credentials" --part-size=5MiB >/dev/null
for i in 1 2 3 4 5 6 7 8; do
  storage=local; [ "$i" -gt 4 ] && storage=s3
  agent=agent-$(( (i % 2) + 1 ))
  ctl database add "db$i" --engine=sqlite --agent="$agent" --storage="$storage" --path="$T/db$i.sqlite" >/dev/null
done

step "run $SOAK_JOBS backups while faults are injected at random (at most ${SOAK_MAX_S}s)"
: > "$T/faults"
chaos() {
  while [ -d "$T" ] && [ ! -e "$T/stop-chaos" ]; do
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 2.0), 2))')"
    [ -e "$T/stop-chaos" ] && break
    local a="agent-$(( RANDOM % 2 + 1 ))"
    case $(( RANDOM % 5 )) in
      0) echo kill_agent >> "$T/faults"
         kill -9 "$(pid_of "$a")" 2>/dev/null || true
         while kill -0 "$(pid_of "$a")" 2>/dev/null; do sleep 0.05; done
         sleep "0.$(( RANDOM % 9 + 1 ))"; start_agent_n "$a" ;;
      1) echo pause_agent >> "$T/faults"
         kill -STOP "$(pid_of "$a")"; sleep "$(( RANDOM % 3 + 4 ))"; kill -CONT "$(pid_of "$a")" ;;
      2) echo kill_controller >> "$T/faults"
         restart_controller ;;
      *) echo s3_faults >> "$T/faults"
         set_plan '[{"method": "PUT", "action": "status", "status": 503, "times": 2},
                    {"method": "PUT", "path": "partNumber=2", "action": "reset", "forward": true},
                    {"method": "POST", "path": "\\?uploads", "action": "reset", "forward": true},
                    {"method": "PUT", "path": "manifest", "skip": 1, "action": "reset", "forward": true},
                    {"method": "GET", "action": "status", "status": 503}]'
         sleep 3; set_plan '[]' ;;
    esac
  done
}
chaos &
CHAOS_PID=$!
PIDS+=("$CHAOS_PID")
started=0
t0=$(date +%s)
while [ "$started" -lt "$SOAK_JOBS" ] && [ $(( $(date +%s) - t0 )) -lt "$SOAK_MAX_S" ]; do
  for i in 1 2 3 4 5 6 7 8; do
    # Refused while the database has a backup queued or running, or while
    # the controller is down: the driver just tries again.
    if ctl --timeout=5s backup run "db$i" >/dev/null 2>&1; then started=$((started + 1)); fi
    [ "$started" -ge "$SOAK_JOBS" ] && break
  done
  # Paced so that the faults meet jobs in every phase (about 3 backups a second).
  sleep 2
done
touch "$T/stop-chaos"
wait "$CHAOS_PID" 2>/dev/null || true
soak_s=$(( $(date +%s) - t0 ))
set_plan '[]'
[ "$started" -ge "$SOAK_JOBS" ] || fail "only $started backups started in ${SOAK_MAX_S}s"

step "everything running again: every job reaches a final state"
for a in agent-1 agent-2; do
  kill -CONT "$(pid_of "$a")" 2>/dev/null || true
  kill -0 "$(pid_of "$a")" 2>/dev/null || start_agent_n "$a"
done
kill -0 "$(pid_of controller)" 2>/dev/null || restart_controller
wait_for "controller" ctl agent list
settled() {
  ctl --output=json job list --limit=1000 | python3 -c '
import json, sys
jobs = json.load(sys.stdin).get("jobs", [])
open_ = [j["id"] for j in jobs if j["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING") or j.get("outcome_pending")]
sys.exit(1 if open_ else 0)'
}
for _ in $(seq 1 90); do settled && break; sleep 1; done
settled || fail "jobs still open 90 s after the faults stopped: $(ctl job list --limit=20)"
# The agents' cleanup passes (every 5 s) have run at least once since.
sleep 6

step "the catalogue equals the manifests in storage, and nothing is left over"
ctl --output=json backup list --limit=1000 | python3 -c '
import json, sys
for b in json.load(sys.stdin).get("backups", []):
    if b["state"] == "BACKUP_STATE_COMPLETED": print(b["database"] + "/" + b["id"])' | sort > "$T/catalogue"
{ (cd "$T/store/soak" && find . -name manifest.json | sed 's|^\./||; s|/manifest.json$||')
  aws_moto s3api list-objects-v2 --bucket dbdump-test --prefix soak/ --output json |
    json_field '"\n".join(o["Key"][len("soak/"):-len("/manifest.json")] for o in d.get("Contents", []) if o["Key"].endswith("/manifest.json"))'
} | grep -v '^$' | sort > "$T/stored"
diff "$T/catalogue" "$T/stored" > "$T/diff" || fail "catalogue and storage differ (< catalogue only, > storage only): $(cat "$T/diff")"
dirs_without_manifest=$( { (cd "$T/store/soak" && for d in */*/; do [ -e "$d/manifest.json" ] || echo "$d"; done)
  aws_moto s3api list-objects-v2 --bucket dbdump-test --prefix soak/ --output json |
    json_field '"\n".join(sorted({"/".join(o["Key"].split("/")[1:3]) for o in d.get("Contents", [])} - {"/".join(o["Key"].split("/")[1:3]) for o in d.get("Contents", []) if o["Key"].endswith("manifest.json")}))'
  } | grep -v '^$' | grep -v '^\*/\*/$' || true)
[ -z "$dirs_without_manifest" ] || fail "objects without a manifest: $dirs_without_manifest"
partial=$(find "$T/store" -name '*.partial-*' | wc -l)
[ "$partial" = 0 ] || fail "partial files left: $(find "$T/store" -name '*.partial-*')"
uploads=$(aws_moto s3api list-multipart-uploads --bucket dbdump-test --output json | json_field 'len(d.get("Uploads") or [])')
[ "$uploads" = 0 ] || fail "$uploads incomplete multipart uploads left"
for s in local s3; do
  actions=$(ctl --output=json storage reconcile "$s" --dry-run --min-age=1s | json_field 'len([a for a in d.get("actions", []) if a["kind"] != "RECONCILE_ACTION_KEEP"])')
  [ "$actions" = 0 ] || fail "reconciliation of $s would still act: $(ctl storage reconcile "$s" --dry-run --min-age=1s)"
done

step "a random sample of 20 backups restores and matches"
shuf -n 20 "$T/catalogue" > "$T/sample"
n=0
while read -r entry; do
  db=${entry%%/*}; id=${entry#*/}; n=$((n + 1))
  ctl restore "$id" --target="$T/restored-$n.sqlite" --wait >/dev/null 2>&1 || fail "restore of $entry failed"
  [ "$(sqlite3 "$T/$db.sqlite" .dump | sha256sum)" = "$(sqlite3 "$T/restored-$n.sqlite" .dump | sha256sum)" ] \
    || fail "backup $entry restores different data"
done < "$T/sample"

step "figures"
ctl --output=json job list --limit=1000 | python3 -c '
import json, sys, collections
jobs = [j for j in json.load(sys.stdin).get("jobs", []) if j["kind"] == "JOB_KIND_BACKUP"]
states = collections.Counter(j["state"].replace("JOB_STATE_", "").lower() for j in jobs)
recovered = collections.Counter(j["state"].replace("JOB_STATE_", "").lower() for j in jobs
                                if j.get("lost_at") and j["state"] != "JOB_STATE_LOST")
from_storage = sum(1 for j in jobs if "taken from the backup" in (j.get("note") or "") + (j.get("error") or ""))
print("backup jobs:", len(jobs), dict(sorted(states.items())))
print("lost contact, outcome learned later:", dict(sorted(recovered.items())), "| outcome taken from storage after an agent restart:", from_storage)
reasons = collections.Counter((j["state"].replace("JOB_STATE_", "").lower(), (j.get("error") or "")[:110])
                              for j in jobs if j["state"] != "JOB_STATE_SUCCEEDED")
for (state, why), n in sorted(reasons.items()): print(f"  {n} x {state}: {why}")
for j in jobs:
    if j["state"] == "JOB_STATE_LOST": print("  lost:", j["id"])'
echo "faults injected: $(sort "$T/faults" | uniq -c | awk '{printf "%s %s, ", $2, $1}')total $(wc -l < "$T/faults")"
echo "catalogued backups: $(wc -l < "$T/catalogue") = manifests in storage: $(wc -l < "$T/stored"); restored and matched: 20"
echo "soak: ${soak_s}s for $started backups started"
echo PASS
