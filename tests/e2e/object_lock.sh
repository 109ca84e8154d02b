#!/usr/bin/env bash
# S3 Object Lock end to end on moto, with the aws CLI as the independent
# reader: a storage on a bucket without Object Lock is refused in one line
# (the agent's probe reads the bucket's configuration); backups to a
# compliance destination (one of them multipart) carry the lock on every
# object, the server refuses to delete the locked versions, even with the
# governance bypass; dbdump's retention plan keeps them "locked until ..."
# and retention apply deletes nothing; backup delete refuses; "backup show"
# and "storage show" tell the lock; a governance destination locked until
# retention gets its date from the database's rules, and only the bypass
# deletes its objects.
source "$(dirname "$0")/lib.sh"

step "start moto, controller and agent; create a bucket with Object Lock"
start_s3 moto moto
MOTO="$T/moto"
start_controller
start_agent
wait_for "agent to register" agent_online
aws_moto() { AWS_SHARED_CREDENTIALS_FILE="$MOTO/credentials" aws --region us-east-1 --endpoint-url "$(cat "$MOTO/endpoint")" "$@"; }
aws_moto s3api create-bucket --bucket dbdump-vault --object-lock-enabled-for-bucket >/dev/null
S3=(--kind=s3 --endpoint="$(cat "$MOTO/endpoint")" --path-style --credentials-ref="file:$MOTO/credentials" --part-size=5MiB)

step "a bucket without Object Lock is refused in one line, and non-S3 storage too"
expect_error "does not have S3 Object Lock enabled" ctl storage add plain "${S3[@]}" --bucket=dbdump-test \
  --object-lock=compliance --object-lock-retain=1h
expect_error "object-lock is for s3 storage" ctl storage add disk --kind=local --path="$T/store" \
  --object-lock=compliance --object-lock-retain=1h
[ "$(ctl --output=json storage list | json_field 'len(d.get("storages", []))')" = 0 ] || fail "a refused storage was added"

step "a compliance destination: every object of every backup is locked"
ctl storage add vault "${S3[@]}" --bucket=dbdump-vault --prefix=prod --object-lock=compliance --object-lock-retain=2h
ctl storage show vault | grep -q "object lock: *compliance for 2h" || fail "storage show does not tell the lock"
# The probe's object is written unlocked and removed with every version: no
# delete marker, nothing left behind in the versioned bucket.
[ "$(aws_moto s3api list-object-versions --bucket dbdump-vault --prefix prod/.dbdump-probe --output json \
  | json_field 'len(d.get("Versions") or []) + len(d.get("DeleteMarkers") or [])')" = 0 ] \
  || fail "the storage probe left versions or delete markers behind"
ctl storage list | grep -q "compliance for 2h" || fail "storage list does not tell the lock"
sqlite3 "$T/app.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body BLOB);" >/dev/null
ctl database add app --engine=sqlite --agent=agent-1 --storage=vault --path="$T/app.db"
ctl backup run app --compression=none --wait >/dev/null
OLD=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')
# Incompressible rows above the 5 MiB part size: the second dump goes up in parts.
sqlite3 "$T/app.db" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 700)
  INSERT INTO notes(body) SELECT randomblob(12000) FROM c;" >/dev/null
ctl backup run app --compression=none --wait >/dev/null
NEW=$(ctl --output=json backup list --database=app | OLD="$OLD" json_field '[b["id"] for b in d["backups"] if b["id"] != __import__("os").environ["OLD"]][0]')
UNTIL=$(ctl --output=json backup show "$OLD" | json_field 'd["backup"]["locked_until"]')
[ -n "$UNTIL" ] || fail "the catalogue records no lock"
ctl backup show "$OLD" | grep -q "locked (compliance) until $UNTIL" || fail "backup show does not tell the lock"
for ID in "$OLD" "$NEW"; do
  keys=$(aws_moto s3api list-objects-v2 --bucket dbdump-vault --prefix "prod/app/$ID/" --query 'Contents[].Key' --output text)
  [ "$(echo "$keys" | wc -w)" -ge 2 ] || fail "backup $ID has no objects in the bucket: $keys"
  want=$(ctl --output=json backup show "$ID" | json_field 'd["backup"]["locked_until"]')
  for key in $keys; do
    got=$(aws_moto s3api head-object --bucket dbdump-vault --key "$key" --query '[ObjectLockMode,ObjectLockRetainUntilDate]' --output text)
    [ "$got" = "COMPLIANCE	$want" ] || fail "$key is locked as '$got', not COMPLIANCE until $want"
  done
done
DUMP=$(ctl --output=json backup show "$NEW" | json_field 'd["backup"]["manifest"]["dump_object"]')
size=$(aws_moto s3api head-object --bucket dbdump-vault --key "prod/app/$NEW/$DUMP" --query ContentLength --output text)
[ "$size" -gt $((5 << 20)) ] || fail "the second dump ($size bytes) was not a multipart upload"
MANIFEST="prod/app/$OLD/manifest.json"
aws_moto s3 cp "s3://dbdump-vault/$MANIFEST" "$T/manifest.json" >/dev/null
[ "$(json_field 'd["locked_until"]' < "$T/manifest.json")" = "$UNTIL" ] || fail "the manifest does not record the lock"

step "the server refuses to delete a locked version, even with the governance bypass"
VERSION=$(aws_moto s3api list-object-versions --bucket dbdump-vault --prefix "$MANIFEST" --query 'Versions[0].VersionId' --output text)
out=$(aws_moto s3api delete-object --bucket dbdump-vault --key "$MANIFEST" --version-id "$VERSION" 2>&1) && fail "locked version deleted"
echo "$out" | grep -q AccessDenied || fail "unexpected refusal: $out"
out=$(aws_moto s3api delete-object --bucket dbdump-vault --key "$MANIFEST" --version-id "$VERSION" \
  --bypass-governance-retention 2>&1) && fail "compliance version deleted with the governance bypass"
echo "$out" | grep -q AccessDenied || fail "unexpected refusal: $out"

step "retention keeps the locked backup, apply deletes nothing, backup delete refuses"
ctl retention plan app --keep-last=1 | tee "$T/plan.txt"
grep "$OLD" "$T/plan.txt" | grep -q "keep *locked until $UNTIL" || fail "the plan does not keep $OLD as locked"
ctl retention set app --keep-last=1 >/dev/null
ctl retention apply app | tee "$T/apply.txt"
grep -q "^0 backups deleted" "$T/apply.txt" || fail "retention apply deleted something"
expect_error "is locked (compliance) until $UNTIL" ctl backup delete "$OLD"
[ "$(aws_moto s3api list-object-versions --bucket dbdump-vault --prefix "prod/app/$OLD/" --query 'length(DeleteMarkers || `[]`)' --output text)" = 0 ] \
  || fail "a delete marker was added to the locked backup"
ctl restore "$OLD" --target="$T/restored.db" --wait >/dev/null
[ "$(sqlite3 "$T/restored.db" 'SELECT count(*) FROM notes')" = 0 ] || fail "the locked backup does not restore"

step "governance until retention: the date comes from the rules, only the bypass deletes"
ctl storage add gov "${S3[@]}" --bucket=dbdump-vault --prefix=gov --object-lock=governance --object-lock-until-retention
ctl storage show gov | grep -q "governance until retention would delete" || fail "storage show does not tell the lock"
[ "$(ctl --output=json storage show gov | json_field 'd["storage"]["object_lock"]["mode"]')" = OBJECT_LOCK_MODE_GOVERNANCE ] \
  || fail "the API does not carry the lock's mode"
ctl database add app-gov --engine=sqlite --agent=agent-1 --storage=gov --path="$T/app.db"
ctl retention set app-gov --keep-within=3h >/dev/null
ctl backup run app-gov --compression=none --wait >/dev/null
GOV=$(ctl --output=json backup list --database=app-gov | json_field 'd["backups"][0]["id"]')
read -r created until < <(ctl --output=json backup show "$GOV" | json_field 'd["backup"]["created_at"] + " " + d["backup"]["locked_until"]')
python3 - "$created" "$until" <<'PY' || fail "governance lock until $until is not created $created + 3h"
import sys, datetime
c, u = (datetime.datetime.strptime(x, "%Y-%m-%dT%H:%M:%SZ") for x in sys.argv[1:])
sys.exit(0 if abs((u - c).total_seconds() - 3 * 3600) <= 60 else 1)
PY
KEY="gov/app-gov/$GOV/manifest.json"
V=$(aws_moto s3api list-object-versions --bucket dbdump-vault --prefix "$KEY" --query 'Versions[0].VersionId' --output text)
aws_moto s3api delete-object --bucket dbdump-vault --key "$KEY" --version-id "$V" >/dev/null 2>&1 && fail "governance version deleted without the bypass"
aws_moto s3api delete-object --bucket dbdump-vault --key "$KEY" --version-id "$V" --bypass-governance-retention >/dev/null \
  || fail "the governance bypass did not delete"
echo "PASS"
