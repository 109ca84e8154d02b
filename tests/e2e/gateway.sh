#!/usr/bin/env bash
# The HTTP/JSON gateway of a real controller with a real agent: every route
# through curl, the read routes compared with the same call over gRPC by an
# independent client (buf curl, through server reflection); a job followed
# as Server-Sent Events; clients that leave an event stream; tokens and
# roles; bad input (malformed JSON, unknown fields, an oversized body, path
# traversal in ids) answered with a clear 4xx that changes nothing; CORS;
# the OpenAPI document checked by a validator and against the routes used.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is missing (deploy/install-deps.sh installs it)"
BUF=${BUF:-$(command -v buf || echo /usr/local/bin/buf)}
[ -x "$BUF" ] || fail "buf is missing (deploy/install-deps.sh installs it)"

HTTP_PORT=$(free_port)
CONTROLLER_FLAGS="--http_listen=127.0.0.1:$HTTP_PORT --http_sse_heartbeat_ms=300 --http_cors_origins=https://ops.example.com"
start_controller
start_agent
wait_for "agent online" agent_online
CA=$T/state/pki/ca.pem
ADMIN=$(cat "$DBDUMP_CONFIG_DIR/token")
# The certificate names the controller controller.dbdump (and its identity).
H=https://controller.dbdump:$HTTP_PORT
ROUTES_USED=$T/routes_used

# api METHOD PATH [BODY]: the response body on stdout; its status in $T/status.
# TOKEN (default: the admin token) is sent as a bearer token unless empty.
api() {
  local method=$1 path=$2 body=${3-}
  local args=(-sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" -o "$T/body"
              -w '%{http_code}' -X "$method" -H 'Content-Type: application/json')
  [ -n "${TOKEN-$ADMIN}" ] && args+=(-H "Authorization: Bearer ${TOKEN-$ADMIN}")
  if [ -n "$body" ]; then args+=(--data-binary "$body")
  elif [ "$method" != GET ] && [ "$method" != DELETE ]; then args+=(--data-binary ''); fi
  curl "${args[@]}" "$H$path" > "$T/status"
  echo "$method $path" >> "$ROUTES_USED"
  cat "$T/body"
}
status() { cat "$T/status"; }
# api_ok METHOD PATH [BODY]: as api, and the status must be 200.
api_ok() {
  local out
  out=$(api "$@")
  [ "$(status)" = 200 ] || fail "$1 $2: HTTP $(status): $out"
  echo "$out"
}
expect_status() {
  [ "$(status)" = "$1" ] || fail "$2: HTTP $(status), expected $1: $(cat "$T/body")"
}
# grpc METHOD [JSON]: the same call over gRPC with buf curl (reflection).
grpc() {
  "$BUF" curl --protocol grpc --reflect-protocol grpc-v1alpha --cacert "$CA" \
    --servername controller.dbdump --emit-defaults -H "Authorization: Bearer $ADMIN" \
    --data "${2:-{\}}" "https://127.0.0.1:$CTL_PORT/dbdump.v1.$1"
}
# same DESCRIPTION HTTP_JSON GRPC_JSON: equal after protojson's two spellings
# (proto names / lowerCamelCase, every field / non-default fields) are made
# one; fields that change by themselves (heartbeats, ages, uptime) left out.
same() {
  python3 - "$1" "$2" "$3" <<'EOF'
import json, re, sys
VOLATILE = {"last_heartbeat", "uptime_s", "last_good_age_s", "last_used_at"}
def snake(k): return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k)
def norm(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            k = snake(k)
            if k in VOLATILE: continue
            x = norm(x)
            if x in ("", 0, 0.0, False, [], {}, "0", None): continue
            out[k] = x
        return out
    if isinstance(v, list): return [norm(x) for x in v]
    return v
what, a, b = sys.argv[1], norm(json.loads(sys.argv[2])), norm(json.loads(sys.argv[3]))
if a != b:
    print(f"FAIL: {what}: gateway and gRPC differ\n gateway: {json.dumps(a, sort_keys=True)}\n gRPC:    {json.dumps(b, sort_keys=True)}", file=sys.stderr)
    sys.exit(1)
EOF
}
# compare PATH GRPC_METHOD [GRPC_JSON]
compare() {
  local http
  http=$(api GET "$1")
  expect_status 200 "GET $1"
  same "GET $1" "$http" "$(grpc "$2" "${3:-{\}}")"
}
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

step "setup through the gateway: storage, database, backup"
sqlite3 "$T/app.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5000)
  INSERT INTO notes SELECT i, printf('note %d', i) FROM n;"
api POST /v1/storages "{\"storage\": {\"name\": \"local\", \"kind\": \"STORAGE_KIND_LOCAL\", \"path\": \"$T/store\"}}" >/dev/null
expect_status 200 "add storage"
api POST /v1/databases "{\"database\": {\"name\": \"app\", \"engine\": \"ENGINE_SQLITE\", \"path\": \"$T/app.db\", \"agent\": \"agent-1\"}, \"storage\": \"local\"}" >/dev/null
expect_status 200 "add database"
JOB=$(api_ok POST /v1/databases/app:backup '{}' | jget 'd["job"]["id"]')
expect_status 200 "start backup"

step "follow the job as Server-Sent Events"
curl -sS -N --max-time 60 --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" \
  -H "Authorization: Bearer $ADMIN" -D "$T/sse_headers" "$H/v1/jobs/$JOB:follow" > "$T/events"
echo "GET /v1/jobs/$JOB:follow" >> "$ROUTES_USED"
grep -qi '^content-type: text/event-stream' "$T/sse_headers" || fail "follow is not an event stream"
grep -q '^event: job$' "$T/events" || fail "no job event: $(head -c 300 "$T/events")"
[ "$(grep '^event:' "$T/events" | tail -1)" = "event: end" ] || fail "the stream did not end with event: end"
LAST=$(grep '^data:' "$T/events" | grep '"job"' | tail -1 | sed 's/^data: //')
[ "$(echo "$LAST" | jget 'd["job"]["state"]')" = JOB_STATE_SUCCEEDED ] || fail "last event: $LAST"
BACKUP=$(echo "$LAST" | jget 'd["job"]["backup_id"]')

step "download the backup as a file (local storage: streamed from the agent)"
curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" \
  -H "Authorization: Bearer $ADMIN" -D "$T/dl_headers" -o "$T/dl" "$H/v1/backups/$BACKUP:download"
echo "GET /v1/backups/$BACKUP:download" >> "$ROUTES_USED"
grep -qi '^content-type: application/octet-stream' "$T/dl_headers" || fail "download is not a file: $(cat "$T/dl_headers")"
grep -qi "^x-dbdump-sha256: $(sha256sum < "$T/dl" | cut -d' ' -f1)" "$T/dl_headers" \
  || fail "the downloaded file does not have the sha256 announced"
[ -n "$BACKUP" ] || fail "no backup id in $LAST"

step "read routes: the gateway's answer equals gRPC's"
compare /v1/agents AgentAdminService/ListAgents
compare /v1/databases DatabaseService/ListDatabases
compare /v1/storages StorageService/ListStorages
compare /v1/backups BackupService/ListBackups
compare "/v1/backups?database=app&page_size=1&state=BACKUP_STATE_COMPLETED" BackupService/ListBackups \
  '{"database": "app", "page_size": 1, "state": "BACKUP_STATE_COMPLETED"}'
compare "/v1/backups/$BACKUP" BackupService/GetBackup "{\"id\": \"$BACKUP\"}"
compare /v1/jobs JobService/ListJobs
compare "/v1/jobs/$JOB" JobService/GetJob "{\"id\": \"$JOB\"}"
compare /v1/stats HealthService/GetStats
compare /v1/health HealthService/GetHealth
compare /v1/tokens TokenService/ListTokens
compare "/v1/audit?limit=5" AuditService/ListAuditEntries '{"limit": 5}'
compare /v1/ca EnrollmentService/GetCaCertificate
compare /v1/session TokenService/GetSession
[ "$(api GET /v1/session | jget 'd["role"]')" = ROLE_ADMIN ] || fail "session of the admin token"

step "write routes"
api POST /v1/schedules '{"schedule": {"name": "nightly", "database": "app", "cron": "30 2 * * *", "time_zone": "Europe/Berlin", "retention": {"keep_last": 5}}}' >/dev/null
expect_status 200 "create schedule"
compare "/v1/schedules/nightly?next_runs=3" ScheduleService/GetSchedule '{"name": "nightly", "next_runs": 3}'
compare /v1/schedules ScheduleService/ListSchedules
api POST /v1/schedules/nightly:setEnabled '{"enabled": false}' >/dev/null
expect_status 200 "disable schedule"
[ "$(grpc ScheduleService/GetSchedule '{"name": "nightly"}' | jget 'd["schedule"].get("enabled", False)')" = False ] \
  || fail "the schedule is still enabled"
PREVIEW='{"cron": "0 */6 * * mon-fri", "time_zone": "America/New_York", "count": 4}'
same "preview" "$(api POST /v1/schedules:preview "$PREVIEW")" "$(grpc ScheduleService/PreviewSchedule "$PREVIEW")"
expect_status 200 "preview"
RUN_JOB=$(api_ok POST /v1/schedules/nightly:run | jget 'd["job"]["id"]')
expect_status 200 "run schedule"
job_succeeded() { api GET "/v1/jobs/$1" | grep -q '"state":"JOB_STATE_SUCCEEDED"'; }
wait_for "the schedule's job to end" job_succeeded "$RUN_JOB"
api PUT /v1/databases/app/retention '{"rules": {"keep_last": 5}, "time_zone": "UTC"}' >/dev/null
expect_status 200 "set retention"
PLAN='{"database": "app", "use_given_rules": true, "rules": {"keep_last": 1}}'
same "retention plan" "$(api POST /v1/databases/app/retention:plan "$PLAN")" "$(grpc RetentionService/PlanRetention "$PLAN")"
expect_status 200 "retention plan"
api POST "/v1/backups/$BACKUP:verify" >/dev/null
expect_status 200 "verify"
RESTORE_JOB=$(api_ok POST "/v1/backups/$BACKUP:restore" "{\"target\": \"$T/restored.db\"}" | jget 'd["job"]["id"]')
expect_status 200 "restore"
wait_for "the restore to end" job_succeeded "$RESTORE_JOB"
[ "$(sqlite3 "$T/restored.db" 'SELECT count(*) FROM notes')" = 5000 ] || fail "restored database lacks rows"
# A copy destination added after the backup: the backup is copied there on
# request, then that copy is verified where it is.
api_ok POST /v1/storages "{\"storage\": {\"name\": \"second\", \"kind\": \"STORAGE_KIND_LOCAL\", \"path\": \"$T/second\"}}" >/dev/null
api_ok PATCH /v1/databases/app '{"database": {"copies": ["second"]}, "update_mask": "copies"}' >/dev/null
COPY_JOB=$(api_ok POST "/v1/backups/$BACKUP:copy" '{"storage": "second"}' | jget 'd["job"]["id"]')
wait_for "the copy to end" job_succeeded "$COPY_JOB"
[ "$(api_ok POST "/v1/backups/$BACKUP:verify?storage=second" \
     | jget '[(c["state"], bool(c.get("verified_at")), c.get("verify_error", "")) for c in d["backup"]["copies"]]')" \
  = "[('BACKUP_COPY_STATE_COMMITTED', True, '')]" ] || fail "the copy in second is not committed and verified: $(cat "$T/body")"
api POST "/v1/backups/$BACKUP:copy" '{"storage": "second"}' >/dev/null
expect_status 400 "a second copy of a committed copy"
grep -q "already has a committed copy" "$T/body" || fail "copy refusal: $(cat "$T/body")"
api POST /v1/databases/app/retention:apply >/dev/null
expect_status 200 "retention apply"
VIEWER=$(api_ok POST /v1/tokens '{"name": "watcher", "role": "ROLE_VIEWER"}' | jget 'd["secret"]')
expect_status 200 "create token"
OPERATOR=$(api_ok POST /v1/tokens '{"name": "ops", "role": "ROLE_OPERATOR"}' | jget 'd["secret"]')
api POST /v1/tokens '{"name": "doomed", "role": "ROLE_VIEWER"}' >/dev/null
api DELETE /v1/tokens/doomed >/dev/null
expect_status 200 "revoke token"
api POST /v1/agents/db9:joinToken '{"ttl_minutes": 5}' | grep -q '"join_token"' || fail "join token"
expect_status 200 "join token"
api POST /v1/agents/db9:revoke >/dev/null
GRPC_REVOKE=$(grpc AgentAdminService/RevokeAgent '{"name": "db9"}' 2>&1 || true)
echo "revoke of an agent that never enrolled: HTTP $(status); gRPC: $GRPC_REVOKE"
api POST /v1/audit:verify | grep -q '"entries_checked"' || fail "audit verify: $(cat "$T/body")"
expect_status 200 "audit verify"
api DELETE /v1/schedules/nightly >/dev/null
expect_status 200 "delete schedule"
api POST /v1/storages "{\"storage\": {\"name\": \"spare\", \"kind\": \"STORAGE_KIND_LOCAL\", \"path\": \"$T/spare\"}}" >/dev/null
api POST /v1/databases "{\"database\": {\"name\": \"gone\", \"engine\": \"ENGINE_SQLITE\", \"path\": \"$T/app.db\", \"agent\": \"agent-1\"}, \"storage\": \"spare\"}" >/dev/null
api DELETE /v1/databases/gone >/dev/null
expect_status 200 "remove database"
api DELETE /v1/storages/spare >/dev/null
expect_status 200 "remove storage"

step "resource routes: get, update with a field mask, delete a backup, cancel, remove an agent"
compare /v1/databases/app DatabaseService/GetDatabase '{"name": "app"}'
compare /v1/storages/local StorageService/GetStorage '{"name": "local"}'
RECONCILED=$(api_ok POST /v1/storages/local:reconcile '{"dry_run": true}')
expect_status 200 "reconcile a storage (dry run)"
[ "$(echo "$RECONCILED" | jget 'd.get("dryRun", d.get("dry_run"))')" = True ] \
  || fail "the reconciliation was not a dry run: $RECONCILED"
[ "$(echo "$RECONCILED" | jget 'd.get("backupsCatalogued", d.get("backups_catalogued"))')" -ge 1 ] \
  || fail "the reconciliation saw no catalogued backup: $RECONCILED"
compare /v1/agents/agent-1 AgentAdminService/GetAgent '{"name": "agent-1"}'
api POST /v1/storages "{\"storage\": {\"name\": \"moved\", \"kind\": \"STORAGE_KIND_LOCAL\", \"path\": \"$T/moved\"}}" >/dev/null
expect_status 200 "add a second storage"
api PATCH /v1/databases/app '{"database": {"storage": "moved"}, "update_mask": "storage"}' >/dev/null
expect_status 200 "move the database"
[ "$(grpc DatabaseService/GetDatabase '{"name": "app"}' | jget 'd["database"]["storage"]')" = moved ] \
  || fail "the database did not move"
api PATCH /v1/databases/app '{"database": {"target": {"engine": "ENGINE_POSTGRES"}}, "update_mask": "target.engine"}' >/dev/null
expect_status 400 "an engine change"
grep -q 'update_mask path \\"target.engine\\" of Database cannot be changed' "$T/body" \
  || fail "the refusal does not name the path: $(cat "$T/body")"
api PATCH /v1/databases/app '{"database": {"storage": "local"}, "update_mask": "storage"}' >/dev/null
expect_status 200 "move the database back"
api PATCH /v1/storages/moved '{"storage": {"prefix": "nightly"}, "update_mask": "prefix", "skip_probe": true}' >/dev/null
expect_status 200 "update a storage"
[ "$(grpc StorageService/GetStorage '{"name": "moved"}' | jget 'd["storage"]["prefix"]')" = nightly ] \
  || fail "the storage's prefix did not change"
api POST /v1/schedules '{"schedule": {"name": "weekly", "database": "app", "cron": "0 3 * * sun", "time_zone": "UTC"}}' >/dev/null
api PATCH /v1/schedules/weekly '{"schedule": {"cron": "0 4 * * sun"}, "update_mask": "cron"}' >/dev/null
expect_status 200 "update a schedule"
[ "$(grpc ScheduleService/GetSchedule '{"name": "weekly"}' | jget 'd["schedule"]["cron"]')" = "0 4 * * sun" ] \
  || fail "the schedule's cron did not change"
api DELETE /v1/schedules/weekly >/dev/null
RUN_BACKUP=$(api_ok GET "/v1/jobs/$RUN_JOB" | jget 'd["job"]["backup_id"]')
[ "$(api_ok DELETE "/v1/backups/$RUN_BACKUP" | jget 'd["backup"]["state"]')" = BACKUP_STATE_DELETED ] \
  || fail "the deleted backup is not marked deleted"
api DELETE "/v1/backups/$RUN_BACKUP" >/dev/null
expect_status 400 "a second delete"
api POST "/v1/jobs/$JOB:cancel" >/dev/null
expect_status 400 "cancel of an ended job"
grep -q 'already ended succeeded' "$T/body" || fail "cancel refusal: $(cat "$T/body")"
api DELETE /v1/agents/agent-1 >/dev/null
expect_status 400 "remove an agent that backs up a database"
grep -q 'database update NAME --agent=OTHER' "$T/body" || fail "agent removal refusal: $(cat "$T/body")"

step "tokens and roles"
TOKEN= api GET /v1/backups >/dev/null
expect_status 401 "no token"
grep -q '"code":16' "$T/body" || fail "401 without a google.rpc.Status body: $(cat "$T/body")"
TOKEN=dbdt_not-a-real-token api GET /v1/backups >/dev/null
expect_status 401 "a made-up token"
TOKEN=$VIEWER api GET /v1/backups >/dev/null
expect_status 200 "viewer lists backups"
[ "$(TOKEN=$VIEWER api GET /v1/session | jget 'd["role"]')" = ROLE_VIEWER ] || fail "viewer session"
TOKEN=$VIEWER api POST /v1/databases/app:backup '{}' >/dev/null
expect_status 403 "viewer starts a backup"
TOKEN=$OPERATOR api GET /v1/tokens >/dev/null
expect_status 403 "operator lists tokens"
TOKEN=$OPERATOR api POST "/v1/backups/$BACKUP:verify" >/dev/null
expect_status 200 "operator verifies"
# All HTTP clients share the gateway's one connection to the controller:
# each call must still be the caller's own (session, role, audit entry).
[ "$(api GET /v1/session | jget 'd["actor"]')" = token:admin ] || fail "admin after the operator"
[ "$(TOKEN=$OPERATOR api GET /v1/session | jget 'd["actor"]')" = token:ops ] || fail "operator after the admin"
[ "$(api GET '/v1/audit?rpc_contains=VerifyBackup&limit=1' | jget 'd["entries"][0]["actor"]')" = token:ops ] \
  || fail "the operator's verify is not audited as the operator's: $(cat "$T/body")"

step "bad input: a clear 4xx, nothing changed"
BEFORE=$(grpc DatabaseService/ListDatabases)
api POST /v1/databases '{"database": {"name": "x"' >/dev/null
expect_status 400 "malformed JSON"
grep -q 'not valid JSON' "$T/body" || fail "malformed JSON message: $(cat "$T/body")"
api POST /v1/databases '{"database": {"name": "x", "engine": "ENGINE_SQLITE", "colour": "red"}}' >/dev/null
expect_status 400 "unknown field"
grep -q 'colour' "$T/body" || fail "unknown field not named: $(cat "$T/body")"
api POST /v1/databases '[1, 2]' >/dev/null
expect_status 400 "a body that is not an object"
head -c 2000000 /dev/zero | tr '\0' ' ' > "$T/big.json"
curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" -o "$T/body" -w '%{http_code}' \
  -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  --data-binary @"$T/big.json" "$H/v1/databases" > "$T/status" || true
expect_status 413 "an oversized body"
for evil in '..%2F..%2Fetc%2Fpasswd' '%2e%2e' '.' 'a%2Fb' '%00x'; do
  api GET "/v1/backups/$evil" >/dev/null
  expect_status 400 "id $evil"
  api DELETE "/v1/databases/$evil" >/dev/null
  expect_status 400 "delete $evil"
done
api DELETE /v1/databases/..%2Fapp >/dev/null
expect_status 400 "traversal to a real database"
curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" -o "$T/body" -w '%{http_code}' \
  -H "Authorization: Bearer $ADMIN" -d 'database.name=x&storage=local' "$H/v1/databases" > "$T/status"
expect_status 415 "a form body (as another site's page could post)"
api GET "/v1/backups?colour=red" >/dev/null
expect_status 400 "unknown query parameter"
api GET "/v1/backups?page_size=lots" >/dev/null
expect_status 400 "a number that is not one"
api GET /v1/backups '{"database": "app"}' >/dev/null
expect_status 400 "a body on GET"
api PATCH /v1/backups >/dev/null
expect_status 405 "wrong method"
api GET /v1/nothing-here >/dev/null
expect_status 404 "unknown route"
api POST /v1/databases/app:explode '{}' >/dev/null
expect_status 404 "unknown custom method"
same "databases after bad input" "$(grpc DatabaseService/ListDatabases)" "$BEFORE"

step "CORS: only the configured origin"
curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" -o /dev/null -D "$T/cors" \
  -X OPTIONS -H 'Origin: https://ops.example.com' -H 'Access-Control-Request-Method: POST' "$H/v1/backups"
grep -qi '^access-control-allow-origin: https://ops.example.com' "$T/cors" || fail "allowed origin refused"
curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" -o /dev/null -D "$T/cors" \
  -H 'Origin: https://evil.example.net' -H "Authorization: Bearer $ADMIN" "$H/v1/backups"
if grep -qi '^access-control-allow-origin' "$T/cors"; then fail "another origin allowed"; fi

step "clients that leave an event stream free what it held"
# A job that stays queued: the retry, an hour away, of a scheduled backup
# that failed.
api_ok POST /v1/databases "{\"database\": {\"name\": \"broken\", \"engine\": \"ENGINE_SQLITE\", \"path\": \"$T/missing.db\", \"agent\": \"agent-1\"}, \"storage\": \"local\", \"skip_connection_test\": true}" >/dev/null
api_ok POST /v1/schedules '{"schedule": {"name": "retrying", "database": "broken", "cron": "0 0 1 1 *", "time_zone": "UTC", "max_attempts": 3, "retry_backoff_s": 3600}}' >/dev/null
api_ok POST /v1/schedules/retrying:run >/dev/null
queued_retry() {
  IDLE_JOB=$(api GET '/v1/jobs?database=broken' | python3 -c "import json,sys
for j in json.load(sys.stdin)['jobs']:
    if j['state'] == 'JOB_STATE_QUEUED' and j['attempt'] == 2: print(j['id'])")
  [ -n "$IDLE_JOB" ]
}
wait_for "a retry queued an hour away" queued_retry
fds() { ls /proc/$CONTROLLER_PID/fd | wc -l; }
threads() { ls /proc/$CONTROLLER_PID/task | wc -l; }
FDS_BEFORE=$(fds)
THREADS_BEFORE=$(threads)
for i in $(seq 1 20); do
  curl -sS -N --max-time 1 --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" \
    -H "Authorization: Bearer $ADMIN" "$H/v1/jobs/$IDLE_JOB:follow" > "$T/idle_events" 2>/dev/null || true
done
grep -q '^event: job' "$T/idle_events" || fail "the idle job's stream sent nothing"
wait_for "20 streams closed" sh -c "[ \$(grep -c 'event stream closed: client went away' '$T/controller.log') -ge 20 ]"
grep 'event stream closed' "$T/controller.log" | tail -1 | grep -q '(0 open)' || fail "streams still open"
sleep 1
echo "controller fds $FDS_BEFORE -> $(fds), threads $THREADS_BEFORE -> $(threads)"
[ "$(fds)" -le $((FDS_BEFORE + 3)) ] || fail "file descriptors grew from $FDS_BEFORE to $(fds)"
[ "$(threads)" -le $((THREADS_BEFORE + 3)) ] || fail "threads grew from $THREADS_BEFORE to $(threads)"

step "OpenAPI document: valid, and every route in it was called above"
api GET /v1/openapi.json > "$T/openapi.json"
expect_status 200 "openapi"
python3 - "$T/openapi.json" "$ROUTES_USED" <<'EOF'
import json, re, sys
from openapi_spec_validator import validate
doc = json.load(open(sys.argv[1]))
validate(doc)
used = [l.split(" ", 1) for l in open(sys.argv[2]).read().splitlines()]
missing = []
for path, ops in doc["paths"].items():
    rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/?]+", re.escape(path)) + r"(\?.*)?$"
    for method in ops:
        if not any(m == method.upper() and re.match(rx, p) for m, p in used):
            missing.append(f"{method.upper()} {path}")
if missing:
    print("FAIL: routes never called by this test: " + ", ".join(missing), file=sys.stderr)
    sys.exit(1)
print(f"openapi: valid, {sum(len(o) for o in doc['paths'].values())} routes, all called")
EOF

step "paging through 10,000 catalogued backups: bounded pages, no duplicates, nothing skipped"
grow_catalogue "$BACKUP" 10000
TOTAL=$(sqlite3 "$T/controller.db" "SELECT count(*) FROM backups")
: > "$T/paged"
PAGE_TOKEN=
PAGES=0
while :; do
  api_ok GET "/v1/backups?page_size=1000${PAGE_TOKEN:+&page_token=$PAGE_TOKEN}" > "$T/page.json"
  PAGE_TOKEN=$(python3 - "$T/page.json" "$T/paged" <<'EOF'
import json, sys
body = json.load(open(sys.argv[1]))
page = body["backups"]
assert len(page) <= 1000, f"a page of {len(page)}"
created = [b["created_at"] for b in page]
assert created == sorted(created, reverse=True), "a page is not newest first"
with open(sys.argv[2], "a") as out:
    for b in page: out.write(f'{b["created_at"]} {b["id"]}\n')
print(body["next_page_token"])
EOF
)
  PAGES=$((PAGES + 1))
  [ -n "$PAGE_TOKEN" ] || break
  [ "$PAGES" -le 20 ] || fail "more than 20 pages for $TOTAL backups"
done
[ "$(wc -l < "$T/paged")" = "$TOTAL" ] || fail "paged $(wc -l < "$T/paged") backups, $TOTAL catalogued"
[ "$(cut -d' ' -f2 "$T/paged" | sort -u | wc -l)" = "$TOTAL" ] || fail "a backup came twice"
[ "$(cut -d' ' -f1 "$T/paged")" = "$(cut -d' ' -f1 "$T/paged" | sort -r)" ] || fail "pages are not newest first"
echo "paged $TOTAL backups in $PAGES pages of at most 1000, none twice, newest first"
api GET "/v1/backups?page_size=5000" >/dev/null
expect_status 400 "a page larger than 1000"

step "dashboard: served with a strict content security policy"
curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" -D "$T/dash" -o "$T/index.html" "$H/"
grep -qi '^content-security-policy: default-src .self.' "$T/dash" || fail "no CSP on the dashboard"
grep -qi '<html' "$T/index.html" || fail "/ is not the dashboard"

echo "PASS gateway"
