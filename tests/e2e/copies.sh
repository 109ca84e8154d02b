#!/usr/bin/env bash
# Several destinations in one pass: a SQLite database backed up to a local
# primary and, in the same pass, to moto (behind the fault proxy) and to
# OpenStack Swift. The standard `aws` CLI and sha256sum read all three; a
# restore from each copy gives the same database. The moto side dies
# mid-upload (the proxy killed): the backup still succeeds, Swift commits,
# the moto copy is recorded PENDING with its error, and once the server is
# reachable again a copy job completes it from the primary. A copy job
# refuses a corrupted primary object and copies nothing. Real processes
# throughout.
source "$(dirname "$0")/lib.sh"

step "start moto (behind the fault proxy), Swift, controller and agent"
start_s3 moto moto
start_s3 swift swift
MOTO="$T/moto"; SWIFT="$T/swift"
# Each dump part PUT is slowed down, so the proxy can be killed mid-upload.
echo '[{"method": "PUT", "path": "partNumber=", "times": -1, "action": "delay_ms", "delay_ms": 700}]' > "$T/plan.json"
start_proxy() {
  rm -f "$T/proxy.port"
  python3 "$FIXTURES/fault_proxy.py" --upstream "$(cat "$MOTO/endpoint")" --plan "$T/plan.json" \
    --log "$T/proxy.log" --port-file "$T/proxy.port" >/dev/null 2>>"$T/proxy.err" &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  wait_for "fault proxy" test -s "$T/proxy.port"
  PROXY="http://127.0.0.1:$(cat "$T/proxy.port")"
}
start_proxy
CONTROLLER_FLAGS="--copy_retry_backoff=2s"
start_controller
start_agent
wait_for "agent to register" agent_online

aws_at() { AWS_SHARED_CREDENTIALS_FILE="$1/credentials" aws --region us-east-1 --endpoint-url "$(cat "$1/endpoint")" "${@:2}"; }
backup_json() { ctl --output=json backup show "$1"; }
copy_field() {  # copy_field BACKUP STORAGE FIELD
  backup_json "$1" | python3 -c "import json,sys; b=json.load(sys.stdin)['backup']
c=[c for c in b.get('copies', []) if c['storage']==sys.argv[1]]
print(c[0].get(sys.argv[2], '') if c else 'NO-COPY')" "$2" "$3"
}
sqlite_fp() {
  python3 -c 'import hashlib, sqlite3, sys
h = hashlib.sha256()
for i, b in sqlite3.connect(sys.argv[1]).execute("SELECT id, b FROM t ORDER BY id"):
    h.update(str(i).encode()); h.update(b)
print(h.hexdigest())' "$1"
}

step "a SQLite database of about 12 MiB that does not compress"
sqlite3 "$T/app.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
  INSERT INTO t SELECT x, randomblob(4096) FROM c;"
FP=$(sqlite_fp "$T/app.db")

step "storages: local primary, moto and Swift copies"
ctl storage add local --kind=local --path="$T/local-store"
ctl storage add moto --kind=s3 --bucket=dbdump-test --prefix=copies --endpoint="$PROXY" \
  --path-style --credentials-ref="file:$MOTO/credentials" --part-size=5MiB
ctl storage add swift --kind=s3 --bucket=dbdump-test --prefix=copies --endpoint="$(cat "$SWIFT/endpoint")" \
  --max-parts=1000 --path-style --credentials-ref="file:$SWIFT/credentials" --part-size=5MiB

step "bad copy destinations are refused with one clear line, and nothing changes"
expect_error "primary storage" ctl database add app --engine=sqlite --agent=agent-1 --storage=local \
  --path="$T/app.db" --copies=local,moto
expect_error "named twice" ctl database add app --engine=sqlite --agent=agent-1 --storage=local \
  --path="$T/app.db" --copies=moto,moto
expect_error "unknown storage" ctl database add app --engine=sqlite --agent=agent-1 --storage=local \
  --path="$T/app.db" --copies=nowhere
[ "$(ctl --output=json database list | json_field 'len(d.get("databases", []))')" = 0 ] || fail "a bad database was added"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db" --copies=moto,swift
ctl database show app | grep -q "copies.*moto, swift" || fail "database show does not list the copies"
expect_error "copy destination of database" ctl storage remove swift

step "one pass writes the primary and both copies"
ctl backup run app --wait
ID1=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')
ctl backup show "$ID1"
for S in moto swift; do
  [ "$(copy_field "$ID1" "$S" state)" = BACKUP_COPY_STATE_COMMITTED ] || fail "copy in $S not committed: $(backup_json "$ID1")"
done
STORED=$(backup_json "$ID1" | json_field 'd["backup"]["manifest"]["stored_sha256"]')
DUMP=$(backup_json "$ID1" | json_field 'd["backup"]["manifest"]["dump_object"]')
[ "$(sha256sum < "$T/local-store/app/$ID1/$DUMP" | cut -d' ' -f1)" = "$STORED" ] || fail "local dump differs from the manifest"
for S in MOTO SWIFT; do
  dir=${!S}
  aws_at "$dir" s3 cp "s3://dbdump-test/copies/app/$ID1/$DUMP" "$T/$S.dump" >/dev/null
  aws_at "$dir" s3 cp "s3://dbdump-test/copies/app/$ID1/manifest.json" "$T/$S.manifest" >/dev/null
  [ "$(sha256sum < "$T/$S.dump" | cut -d' ' -f1)" = "$STORED" ] || fail "$S dump differs from the manifest"
  [ "$(json_field 'd["stored_sha256"]' < "$T/$S.manifest")" = "$STORED" ] || fail "$S manifest differs"
  [ "$(json_field 'd["backup_id"]' < "$T/$S.manifest")" = "$ID1" ] || fail "$S manifest names another backup"
done
[ "$(zstd -dc < "$T/SWIFT.dump" | sha256sum | cut -d' ' -f1)" = \
  "$(backup_json "$ID1" | json_field 'd["backup"]["manifest"]["raw_sha256"]')" ] || fail "raw sha256 of the Swift copy differs"

step "restore from the primary and from each copy"
for S in local moto swift; do
  ctl restore "$ID1" --from-storage="$S" --target="$T/restored-$S.db" --wait
  [ "$(sqlite_fp "$T/restored-$S.db")" = "$FP" ] || fail "restore from $S differs"
done

step "the moto server dies mid-upload: the backup succeeds, the copy is pending"
: > "$T/proxy.log"
JOB=$(ctl --output=json backup run app | json_field 'd["job"]["id"]')
wait_for "the moto copy to upload its first part" grep -q "partNumber=1" "$T/proxy.log"
kill -9 "$PROXY_PID"
wait_for_job() {
  local i
  for i in $(seq 1 300); do
    case "$(ctl --output=json job show "$1" | json_field 'd["job"]["state"]')" in
      JOB_STATE_QUEUED|JOB_STATE_RUNNING) sleep 0.2 ;;
      *) return 0 ;;
    esac
  done
  fail "job $1 did not end"
}
wait_for_job "$JOB"
[ "$(ctl --output=json job show "$JOB" | json_field 'd["job"]["state"]')" = JOB_STATE_SUCCEEDED ] \
  || fail "the backup failed with its copy: $(ctl --output=json job show "$JOB")"
ID2=$(ctl --output=json job show "$JOB" | json_field 'd["job"]["backup_id"]')
ctl backup show "$ID2"
[ "$(copy_field "$ID2" swift state)" = BACKUP_COPY_STATE_COMMITTED ] || fail "the Swift copy did not commit"
[ "$(copy_field "$ID2" moto state)" = BACKUP_COPY_STATE_PENDING ] || fail "the moto copy is not pending"
[ -n "$(copy_field "$ID2" moto error)" ] || fail "the pending copy has no error"
aws_at "$SWIFT" s3 ls "s3://dbdump-test/copies/app/$ID2/manifest.json" >/dev/null || fail "no Swift manifest"
if aws_at "$MOTO" s3 ls "s3://dbdump-test/copies/app/$ID2/manifest.json" >/dev/null 2>&1; then
  fail "a manifest of the failed copy is in moto"
fi
expect_error "is pending" ctl restore "$ID2" --from-storage=moto --target="$T/never.db"
[ ! -e "$T/never.db" ] || fail "a restore from a pending copy wrote something"

step "the server is back: a copy job completes the copy from the primary"
start_proxy
ctl storage update moto --endpoint="$PROXY"
for i in $(seq 1 300); do
  [ "$(copy_field "$ID2" moto state)" = BACKUP_COPY_STATE_COMMITTED ] && break
  sleep 0.2
done
[ "$(copy_field "$ID2" moto state)" = BACKUP_COPY_STATE_COMMITTED ] || fail "no copy job completed the copy: $(backup_json "$ID2")"
[ "$(copy_field "$ID2" moto attempts)" -ge 2 ] || fail "the completed copy counts no second attempt"
JOBS=$(ctl job list --database=app)
echo "$JOBS" | grep -q "copy" || fail "no copy job listed: $JOBS"
STORED2=$(backup_json "$ID2" | json_field 'd["backup"]["manifest"]["stored_sha256"]')
DUMP2=$(backup_json "$ID2" | json_field 'd["backup"]["manifest"]["dump_object"]')
aws_at "$MOTO" s3 cp "s3://dbdump-test/copies/app/$ID2/$DUMP2" "$T/moto2.dump" >/dev/null
[ "$(sha256sum < "$T/moto2.dump" | cut -d' ' -f1)" = "$STORED2" ] || fail "the completed copy differs"
ctl restore "$ID2" --from-storage=moto --target="$T/restored-2.db" --wait
[ "$(sqlite_fp "$T/restored-2.db")" = "$FP" ] || fail "restore from the completed copy differs"
[ "$(aws_at "$MOTO" s3api list-multipart-uploads --bucket dbdump-test --output json | json_field 'len(d.get("Uploads") or [])')" = 0 ] \
  || echo "   note: the dead server's unfinished upload is left for the agent's sweeper and reconciliation"

step "a corrupted primary object makes the copy job fail, and nothing is copied"
: > "$T/proxy.log"
JOB=$(ctl --output=json backup run app | json_field 'd["job"]["id"]')
wait_for "the moto copy to upload its first part" grep -q "partNumber=1" "$T/proxy.log"
kill -9 "$PROXY_PID"
wait_for_job "$JOB"
ID3=$(ctl --output=json job show "$JOB" | json_field 'd["job"]["backup_id"]')
[ "$(copy_field "$ID3" moto state)" = BACKUP_COPY_STATE_PENDING ] || fail "the third moto copy is not pending"
DUMP3=$(backup_json "$ID3" | json_field 'd["backup"]["manifest"]["dump_object"]')
python3 - "$T/local-store/app/$ID3/$DUMP3" <<'PY'
import sys
p = sys.argv[1]
with open(p, "r+b") as f:
    f.seek(1 << 20)
    b = f.read(1)
    f.seek(1 << 20)
    f.write(bytes([b[0] ^ 0xFF]))
PY
start_proxy
ctl storage update moto --endpoint="$PROXY"
for i in $(seq 1 300); do
  copy_field "$ID3" moto error | grep -qi "corrupt" && break
  sleep 0.2
done
copy_field "$ID3" moto error | grep -qi "stored sha256" || fail "the copy job did not refuse the corrupted object: $(backup_json "$ID3")"
[ "$(copy_field "$ID3" moto state)" = BACKUP_COPY_STATE_PENDING ] || fail "a corrupted copy was committed"
if aws_at "$MOTO" s3 ls "s3://dbdump-test/copies/app/$ID3/" 2>/dev/null | grep -q .; then
  fail "objects of the refused copy are in moto: $(aws_at "$MOTO" s3 ls "s3://dbdump-test/copies/app/$ID3/")"
fi

step "reconciliation of a copy destination takes its committed copies as its catalogue"
ctl --output=json storage reconcile swift --min-age=1s > "$T/reconcile.json"
python3 - "$T/reconcile.json" "$ID1" "$ID2" "$ID3" <<'PY' || fail "reconciliation of Swift proposed actions on its copies"
import json, sys
d = json.load(open(sys.argv[1]))
ids = set(sys.argv[2:])
acted = [(a["kind"], a.get("backup_id", "")) for a in d.get("actions", []) if a.get("backup_id", "") in ids]
assert not acted, acted
assert d.get("backups_catalogued", 0) == 3, d
PY
aws_at "$SWIFT" s3 ls "s3://dbdump-test/copies/app/$ID3/manifest.json" >/dev/null || fail "reconciliation removed a copy"

step "retention per destination: Swift keeps its newest copy only, moto and the primary keep all"
expect_error "neither the primary storage" ctl retention set app --storage=nowhere --keep-last=1
ctl retention set app --storage=swift --keep-last=1
ctl retention plan app --storage=swift | tee "$T/plan.txt"
grep -q "$ID3.*keep" "$T/plan.txt" || fail "the plan does not keep the newest Swift copy"
grep -q "$ID1.*delete" "$T/plan.txt" || fail "the plan does not delete an older Swift copy"
ctl retention apply app
for ID in "$ID1" "$ID2"; do
  [ "$(copy_field "$ID" swift state)" = BACKUP_COPY_STATE_DELETED ] || fail "the Swift copy of $ID was kept"
  [ "$(copy_field "$ID" moto state)" = BACKUP_COPY_STATE_COMMITTED ] || fail "the moto copy of $ID was touched"
  [ "$(backup_json "$ID" | json_field 'd["backup"]["state"]')" = BACKUP_STATE_COMPLETED ] || fail "the primary of $ID changed"
  if aws_at "$SWIFT" s3 ls "s3://dbdump-test/copies/app/$ID/" 2>/dev/null | grep -q .; then fail "Swift still holds $ID"; fi
  aws_at "$MOTO" s3 ls "s3://dbdump-test/copies/app/$ID/manifest.json" >/dev/null || fail "moto lost $ID"
done
[ "$(copy_field "$ID3" swift state)" = BACKUP_COPY_STATE_COMMITTED ] || fail "the newest Swift copy was deleted"
aws_at "$SWIFT" s3 ls "s3://dbdump-test/copies/app/$ID3/manifest.json" >/dev/null || fail "Swift lost $ID3"

step "a destination added later gets an older backup on request (backup copy), nothing dumped again"
ctl storage add later --kind=local --path="$T/later-store"
expect_error "not a copy destination of database" ctl backup copy "$ID2" --to=later
ctl database update app --copies=moto,swift,later
expect_error "needs --to" ctl backup copy "$ID2"
expect_error "already has a committed copy" ctl backup copy "$ID2" --to=moto
expect_error "primary storage" ctl backup copy "$ID2" --to=local
dumps_before=$(grep -c "backup job-.* of app started" "$T/agent.log")
ctl backup copy "$ID2" --to=later --wait
[ "$(copy_field "$ID2" later state)" = BACKUP_COPY_STATE_COMMITTED ] || fail "the requested copy is not committed: $(backup_json "$ID2")"
[ "$(grep -c "backup job-.* of app started" "$T/agent.log")" = "$dumps_before" ] || fail "the copy dumped the database again"
cmp "$T/local-store/app/$ID2/$DUMP" "$T/later-store/app/$ID2/$DUMP" || fail "the requested copy differs from the primary"
ctl restore "$ID2" --from-storage=later --target="$T/restored-later.db" --wait
[ "$(sqlite_fp "$T/restored-later.db")" = "$FP" ] || fail "restore from the requested copy differs"

step "each copy is verified in its own destination; a corrupted copy fails alone"
ctl backup verify "$ID2" --storage=moto | grep -q "the copy of backup $ID2 in moto verified at" \
  || fail "the moto copy was not verified"
expect_error "in storage \"swift\" is deleted: there is nothing to verify" ctl backup verify "$ID2" --storage=swift
ctl backup verify "$ID2" --storage=later >/dev/null
python3 - "$T/later-store/app/$ID2/$DUMP" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(1000); b = f.read(1); f.seek(1000); f.write(bytes([b[0] ^ 0x5a]))
PY
expect_error "the copy of backup $ID2 in later failed verification: .*is corrupted" \
  ctl backup verify "$ID2" --storage=later
[ -n "$(copy_field "$ID2" later verify_error)" ] || fail "the failed verification is not recorded on the copy"
[ -z "$(copy_field "$ID2" moto verify_error)" ] || fail "the moto copy's result changed"
ctl backup show "$ID2" | grep -E "^ *later .* FAILED" >/dev/null || fail "backup show does not show the failed copy"
ctl backup verify "$ID2" >/dev/null || fail "the primary failed with its copy"
expect_error "has no copy in storage" ctl backup verify "$ID2" --storage=nowhere

step "deleting a backup deletes every copy"
ctl backup delete "$ID1"
for S in moto swift; do
  [ "$(copy_field "$ID1" "$S" state)" = BACKUP_COPY_STATE_DELETED ] || fail "the $S copy of a deleted backup is not deleted"
done
[ ! -e "$T/local-store/app/$ID1" ] || [ -z "$(ls -A "$T/local-store/app/$ID1")" ] || fail "the primary of $ID1 is still there"
if aws_at "$SWIFT" s3 ls "s3://dbdump-test/copies/app/$ID1/" 2>/dev/null | grep -q .; then fail "Swift still holds $ID1"; fi
if aws_at "$MOTO" s3 ls "s3://dbdump-test/copies/app/$ID1/" 2>/dev/null | grep -q .; then fail "moto still holds $ID1"; fi

step "no secret in logs or the store"
for secret in "$(cat "$MOTO/secret_access_key")" "$(cat "$SWIFT/secret_access_key")"; do
  for f in "$T/controller.log" "$T/agent.log" "$T/controller.db"*; do
    if grep -aq -- "$secret" "$f"; then fail "secret found in $f"; fi
  done
done
echo "PASS"
