#!/usr/bin/env bash
# The three protections of one backup together, end to end: a SQLite
# database encrypted (age) to a recipient, with a local primary and a copy in
# an S3 bucket with Object Lock (moto), written in one pass. The copy's
# objects are the same encrypted bytes, each locked in compliance mode with
# the date its manifest and `backup show` give; the server refuses to delete
# them; the standard age tool decrypts the copy to the manifest's raw
# checksum; a restore from the copy needs the identity and gives the rows.
source "$(dirname "$0")/lib.sh"
command -v age >/dev/null || fail "the age tool is missing: apt-get install age"

step "keys, moto with a bucket with Object Lock, controller and agent"
umask 077
age-keygen -o "$T/team.key" 2>/dev/null
TEAM=$(age-keygen -y "$T/team.key")
umask 022
start_s3 moto moto
MOTO="$T/moto"
aws_moto() { AWS_SHARED_CREDENTIALS_FILE="$MOTO/credentials" aws --region us-east-1 --endpoint-url "$(cat "$MOTO/endpoint")" "$@"; }
aws_moto s3api create-bucket --bucket dbdump-vault --object-lock-enabled-for-bucket >/dev/null
sqlite3 "$T/app.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 5000)
  INSERT INTO notes(body) SELECT 'note ' || x FROM c;" >/dev/null
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"
ctl storage add vault --kind=s3 --endpoint="$(cat "$MOTO/endpoint")" --path-style \
  --credentials-ref="file:$MOTO/credentials" --bucket=dbdump-vault --prefix=prod \
  --object-lock=compliance --object-lock-retain=2h
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --copies=vault \
  --path="$T/app.db" --encrypt-to="$TEAM"

step "one pass: encrypted primary and an encrypted, locked copy"
ctl backup run app --wait >/dev/null
ID=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')
ctl --output=json backup show "$ID" > "$T/show.json"
STATE=$(json_field '[c["state"] for c in d["backup"]["copies"] if c["storage"]=="vault"][0]' < "$T/show.json")
[ "$STATE" = BACKUP_COPY_STATE_COMMITTED ] || fail "the copy in vault is $STATE"
UNTIL=$(json_field '[c["locked_until"] for c in d["backup"]["copies"] if c["storage"]=="vault"][0]' < "$T/show.json")
[ -n "$UNTIL" ] || fail "the catalogue records no lock for the copy"
[ "$(json_field 'd["backup"].get("locked_until", "")' < "$T/show.json")" = "" ] ||
  fail "the local primary is recorded as locked"
ctl backup show "$ID" | grep "vault" | grep -q "$UNTIL" || fail "backup show does not give the copy's lock"
aws_moto s3 cp "s3://dbdump-vault/prod/app/$ID/manifest.json" "$T/copy.manifest" >/dev/null
[ "$(json_field 'd["locked_until"]' < "$T/copy.manifest")" = "$UNTIL" ] ||
  fail "the copy's manifest does not record its lock"
[ "$(json_field 'd.get("locked_until", "")' < "$T/store/app/$ID/manifest.json")" = "" ] ||
  fail "the primary's manifest records the copy's lock"
DUMP=$(json_field 'd["dump_object"]' < "$T/copy.manifest")
case "$DUMP" in *.age) ;; *) fail "the copy's dump $DUMP is not encrypted" ;; esac
for key in "prod/app/$ID/$DUMP" "prod/app/$ID/manifest.json"; do
  got=$(aws_moto s3api head-object --bucket dbdump-vault --key "$key" \
    --query '[ObjectLockMode,ObjectLockRetainUntilDate]' --output text)
  [ "$got" = "COMPLIANCE	$UNTIL" ] || fail "$key is locked as '$got', not COMPLIANCE until $UNTIL"
done

step "the copy is the primary's encrypted bytes; age alone decrypts it"
aws_moto s3 cp "s3://dbdump-vault/prod/app/$ID/$DUMP" "$T/copy.dump" >/dev/null
cmp -s "$T/copy.dump" "$T/store/app/$ID/$DUMP" || fail "the copy's bytes differ from the primary's"
[ "$(head -c 21 "$T/copy.dump")" = "age-encryption.org/v1" ] || fail "the copy is not an age file"
RAW=$(json_field 'd["raw_sha256"]' < "$T/copy.manifest")
[ "$(age -d -i "$T/team.key" "$T/copy.dump" | zstd -dc | sha256sum | cut -d' ' -f1)" = "$RAW" ] ||
  fail "age -d of the copy does not give the raw checksum"

step "the server refuses to delete the locked copy"
VERSION=$(aws_moto s3api list-object-versions --bucket dbdump-vault --prefix "prod/app/$ID/$DUMP" \
  --output json | json_field 'd["Versions"][0]["VersionId"]')
if aws_moto s3api delete-object --bucket dbdump-vault --key "prod/app/$ID/$DUMP" \
  --version-id "$VERSION" >/dev/null 2>&1; then
  fail "the locked copy's dump was deleted"
fi

step "restore from the copy needs the identity"
expect_error "is encrypted with age" ctl restore "$ID" --from-storage=vault --target="$T/r0.db" --wait
[ -e "$T/r0.db" ] && fail "a restore without the identity created its target"
ctl restore "$ID" --from-storage=vault --target="$T/restored.db" --identity="file:$T/team.key" --wait >/dev/null
[ "$(sqlite3 "$T/restored.db" 'SELECT count(*) FROM notes')" = 5000 ] || fail "the restored copy lacks rows"
echo "PASS"
