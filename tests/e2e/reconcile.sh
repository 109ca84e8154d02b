#!/usr/bin/env bash
# Storage reconciliation end to end, on a local store and on moto S3: a
# backup directory copied in by hand (under a new id, its manifest
# rewritten) is adopted and restores; a backup whose dump was deleted by
# hand is marked missing and refused for restore, and completed again once
# the dump is back; a dump without a manifest, a partial file and an
# incomplete multipart upload are kept while young and removed or aborted
# once older than --min-age; a dry run lists everything and changes
# nothing; objects outside the prefix or outside dbdump's layout are never
# touched.
source "$(dirname "$0")/lib.sh"

step "start moto, controller and agent; back up a SQLite database to a local store and to S3"
start_s3 moto moto
MOTO="$T/moto"
CONTROLLER_FLAGS="--reconcile_interval=0" start_controller
start_agent
wait_for "agent to register" agent_online
sqlite3 "$T/app.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 5000)
  INSERT INTO notes(body) SELECT 'note ' || x FROM c;" >/dev/null
ctl storage add local --kind=local --path="$T/store" --prefix=b
ctl storage add moto --kind=s3 --bucket=dbdump-test --prefix=backups/prod --endpoint="$(cat "$MOTO/endpoint")" \
  --path-style --credentials-ref="file:$MOTO/credentials" --role-arn="$(cat "$MOTO/role_arn")" \
  --external-id="$(cat "$MOTO/external_id")" --part-size=5MiB
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
ctl database add app-s3 --engine=sqlite --agent=agent-1 --storage=moto --path="$T/app.db"
ctl backup run app --wait >/dev/null
ctl backup run app --wait >/dev/null
ctl backup run app-s3 --wait >/dev/null
ID1=$(ctl --output=json backup list --database=app | json_field 'd["backups"][1]["id"]')
ID2=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')
S3ID=$(ctl --output=json backup list --database=app-s3 | json_field 'd["backups"][0]["id"]')
DUMP=$(json_field 'd["dump_object"]' < "$T/store/b/app/$ID1/manifest.json")
aws_moto() { AWS_SHARED_CREDENTIALS_FILE="$MOTO/credentials" aws --region us-east-1 --endpoint-url "$(cat "$MOTO/endpoint")" "$@"; }
# rewrite_manifest FILE ID JOB: the manifest of a copy under another id.
rewrite_manifest() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
path, bid, job = sys.argv[1:]
m = json.load(open(path))
m["backup_id"], m["job_id"] = bid, job
json.dump(m, open(path, "w"), indent=1)
PY
}

step "by hand: a copied-in backup, a deleted dump, leftovers, and objects that are not dbdump's"
NEW=20250101T000000Z-0000abcd
cp -r "$T/store/b/app/$ID1" "$T/store/b/app/$NEW"
rewrite_manifest "$T/store/b/app/$NEW/manifest.json" "$NEW" "job-20250101T000000Z-0000abcd"
cp "$T/store/b/app/$ID2/$DUMP" "$T/saved-dump"
rm "$T/store/b/app/$ID2/$DUMP"
LEFT=20250102T000000Z-0000beef
PART=20250103T000000Z-0000cafe
mkdir -p "$T/store/b/app/$LEFT" "$T/store/b/app/$PART" "$T/store/b/app/not-a-backup" "$T/store/b2/app/$LEFT"
echo half > "$T/store/b/app/$LEFT/$DUMP"
echo partial > "$T/store/b/app/$PART/$DUMP.partial-42"
echo mine > "$T/store/b/README.txt"
echo mine > "$T/store/b/app/not-a-backup/$DUMP"
echo mine > "$T/store/b2/app/$LEFT/$DUMP"
echo mine > "$T/store/other.txt"
LOCAL_UNTOUCHED=("b/README.txt" "b/app/not-a-backup/$DUMP" "b2/app/$LEFT/$DUMP" "other.txt")
# S3: a copy under a new id, a leftover dump, an incomplete multipart upload,
# and objects outside the prefix (one a lookalike "backups/prod2") or the layout.
aws_moto s3 cp --recursive "s3://dbdump-test/backups/prod/app-s3/$S3ID" "$T/s3copy" >/dev/null
rewrite_manifest "$T/s3copy/manifest.json" "$NEW" "job-20250101T000000Z-0000abce"
aws_moto s3 cp --recursive "$T/s3copy" "s3://dbdump-test/backups/prod/app-s3/$NEW" >/dev/null
echo half > "$T/half"
for k in "backups/prod/app-s3/$LEFT/$DUMP" "backups/prod2/app-s3/$LEFT/$DUMP" "backups/prod/README.txt" "keep/notes.txt"; do
  aws_moto s3 cp "$T/half" "s3://dbdump-test/$k" >/dev/null
done
S3_UNTOUCHED=("backups/prod2/app-s3/$LEFT/$DUMP" "backups/prod/README.txt" "keep/notes.txt")
UPLOAD=$(aws_moto s3api create-multipart-upload --bucket dbdump-test --key "backups/prod/app-s3/$PART/$DUMP" \
  --output json | json_field 'd["UploadId"]')
OUTSIDE_UPLOAD=$(aws_moto s3api create-multipart-upload --bucket dbdump-test --key "backups/prod2/app-s3/$PART/$DUMP" \
  --output json | json_field 'd["UploadId"]')
uploads() { aws_moto s3api list-multipart-uploads --bucket dbdump-test --output json | json_field '" ".join(sorted(u["UploadId"] for u in (d.get("Uploads") or [])))'; }
s3_keys() { aws_moto s3api list-objects-v2 --bucket dbdump-test --output json | json_field '"\n".join(sorted(o["Key"] for o in d.get("Contents", [])))'; }
sleep 2
local_files() { (cd "$T/store" && find . -type f | sort); }
LOCAL_BEFORE=$(local_files)
S3_BEFORE=$(s3_keys)
UPLOADS_BEFORE=$(uploads)
[[ "$UPLOADS_BEFORE" == *"$UPLOAD"* ]] || fail "the multipart upload was not created"

step "a dry run lists every action and changes nothing"
ctl storage reconcile local --dry-run --min-age=1s | tee "$T/dry.txt"
for want in "adopt .*app/$NEW" "missing .*app/$ID2" "remove .*b/app/$LEFT/$DUMP" "abort .*b/app/$PART/$DUMP" "dry run: nothing changed"; do
  grep -q -- "$want" "$T/dry.txt" || fail "the dry run does not list: $want"
done
ctl --output=json storage reconcile moto --dry-run --min-age=1s > "$T/dry.json"
python3 - "$T/dry.json" "$NEW" "$LEFT" "$PART" "$UPLOAD" <<'PY' || fail "the S3 dry run does not list the expected actions"
import json, sys
d = json.load(open(sys.argv[1])); new, left, part, upload = sys.argv[2:]
kinds = {(a["kind"], a.get("backup_id", "")) for a in d["actions"]}
assert ("RECONCILE_ACTION_ADOPT", new) in kinds, kinds
assert ("RECONCILE_ACTION_REMOVE_OBJECT", left) in kinds, kinds
assert any(a["kind"] == "RECONCILE_ACTION_ABORT_UPLOAD" and a.get("upload_id") == upload for a in d["actions"]), kinds
assert not any(a.get("done") for a in d["actions"]), "done in a dry run"
assert d["objects_ignored"] >= 1, d
PY
[ "$(local_files)" = "$LOCAL_BEFORE" ] || fail "the dry run changed the local store"
[ "$(s3_keys)" = "$S3_BEFORE" ] || fail "the dry run changed the bucket"
[ "$(uploads)" = "$UPLOADS_BEFORE" ] || fail "the dry run aborted an upload"
ctl backup show "$NEW" >/dev/null 2>&1 && fail "the dry run adopted a backup"
[ "$(ctl --output=json backup show "$ID2" | json_field 'd["backup"]["state"]')" = BACKUP_STATE_COMPLETED ] \
  || fail "the dry run marked a backup missing"

step "with the default minimum age (a day): adopt and mark missing, keep the young leftovers"
ctl storage reconcile local | tee "$T/run1.txt"
grep -q "keep .*b/app/$LEFT/$DUMP" "$T/run1.txt" || fail "a young leftover is not kept"
[ -f "$T/store/b/app/$LEFT/$DUMP" ] || fail "a young leftover was removed"
[ -f "$T/store/b/app/$PART/$DUMP.partial-42" ] || fail "a young partial file was removed"
ctl backup list --database=app
ctl --output=json backup list --database=app > "$T/list.json"
python3 - "$T/list.json" "$NEW" "$ID2" <<'PY' || fail "backup list does not show the adopted and the missing backup"
import json, sys
d = json.load(open(sys.argv[1])); new, id2 = sys.argv[2:]
b = {x["id"]: x for x in d["backups"]}
assert b[new]["state"] == "BACKUP_STATE_COMPLETED" and b[new].get("found_at"), b[new]
assert b[id2]["state"] == "BACKUP_STATE_MISSING" and b[id2].get("missing_since"), b[id2]
assert "gone from storage" in b[id2].get("missing_reason", ""), b[id2]
PY
[[ "$(ctl backup show "$ID2")" == *"missing"*"gone from storage"* ]] || fail "backup show does not say missing"
[[ "$(ctl backup show "$NEW")" == *"found"*"reconciliation"* ]] || fail "backup show does not say found"
[ "$(ctl --output=json job show "job-20250101T000000Z-0000abcd" | json_field 'd["job"]["state"] + " " + d["job"]["backup_id"]')" \
  = "JOB_STATE_SUCCEEDED $NEW" ] || fail "no finished job was catalogued for the adopted backup"

step "the adopted backup restores and matches; the missing one is refused"
ctl restore "$NEW" --target="$T/adopted.db" --wait >/dev/null
[ "$(sqlite3 "$T/app.db" .dump | sha256sum)" = "$(sqlite3 "$T/adopted.db" .dump | sha256sum)" ] \
  || fail "the adopted backup restored different content"
expect_error "its objects are gone from storage; see storage reconcile" ctl restore "$ID2" --target="$T/missing.db" --wait
expect_error "its objects are gone from storage" ctl backup verify "$ID2"

step "--min-age=1s: the old leftovers go, nothing else does"
ctl storage reconcile local --min-age=1s | tee "$T/run2.txt"
[ ! -e "$T/store/b/app/$LEFT/$DUMP" ] || fail "the dump without a manifest was not removed"
[ ! -e "$T/store/b/app/$PART/$DUMP.partial-42" ] || fail "the partial file was not removed"
for f in "${LOCAL_UNTOUCHED[@]}" "b/app/$NEW/manifest.json" "b/app/$NEW/$DUMP" "b/app/$ID1/$DUMP" "b/app/$ID2/manifest.json"; do
  [ -f "$T/store/$f" ] || fail "$f was touched"
done
ctl --output=json storage reconcile moto --min-age=1s > "$T/run.json"
json_field '[ (a["kind"], a.get("key"), a.get("done"), a.get("error")) for a in d["actions"]]' < "$T/run.json"
# Listings are taken whole first: grep -q closing a pipe early would fail it.
UPLOADS_AFTER=" $(uploads) "
[[ "$UPLOADS_AFTER" != *" $UPLOAD "* ]] || fail "the incomplete upload was not aborted"
[[ "$UPLOADS_AFTER" == *" $OUTSIDE_UPLOAD "* ]] || fail "an upload outside the prefix was aborted"
S3_AFTER=$(s3_keys)
grep -qx "backups/prod/app-s3/$LEFT/$DUMP" <<<"$S3_AFTER" && fail "the S3 dump without a manifest was not removed"
for k in "${S3_UNTOUCHED[@]}" "backups/prod/app-s3/$NEW/manifest.json" "backups/prod/app-s3/$S3ID/$DUMP"; do
  grep -qx "$k" <<<"$S3_AFTER" || fail "s3://dbdump-test/$k was touched"
done
S3_LS=$(aws_moto s3 ls --recursive s3://dbdump-test/)
grep -q "keep/notes.txt" <<<"$S3_LS" || fail "aws s3 ls misses keep/notes.txt"
[ "$(ctl --output=json backup show "$NEW" | json_field 'd["backup"]["storage"]')" = local ] \
  || fail "the local copy was not catalogued in storage local"
[[ "$(ctl --output=json backup list --database=app-s3)" != *"$NEW"* ]] || fail "one backup id adopted in two storages"
grep -q "already catalogued" "$T/run.json" || fail "the S3 copy under an id the catalogue holds was not refused"

step "the dump is back: the missing backup completes again"
cp "$T/saved-dump" "$T/store/b/app/$ID2/$DUMP"
ctl storage reconcile local > "$T/run3.txt"
grep -q "found .*app/$ID2" "$T/run3.txt" || fail "the backup was not found again: $(cat "$T/run3.txt")"
[ "$(ctl --output=json backup show "$ID2" | json_field 'd["backup"]["state"]')" = BACKUP_STATE_COMPLETED ] \
  || fail "the backup is not completed again"

step "no agent named that exists: one clear line"
expect_error "unknown agent\|not found\|no agent" ctl storage reconcile local --via=agent-9 --dry-run

step "no secret in logs"
for f in "$T/controller.log" "$T/agent.log"; do
  if grep -aq -- "$(cat "$MOTO/secret_access_key")" "$f"; then fail "secret found in $f"; fi
done
grep -q "storage local reconciled" "$T/agent.log" || fail "the agent logged no summary"
echo "PASS"
