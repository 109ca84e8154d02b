#!/usr/bin/env bash
# Downloading a backup, end to end: a backup on local storage (streamed from
# the agent through the controller) and one in S3 (moto, the agent's role
# assumed with STS: the controller hands out a URL the agent presigned), each
# fetched with dbdumpctl and with curl through the HTTP gateway; what arrives
# has the manifest's stored sha256 and decompresses with zstd. Viewer and
# operator tokens are refused, the download is audited, a corrupted object
# leaves no file behind, an expired presigned URL is refused by the bucket,
# and no presigned URL or session token is written to a log or the audit log.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is missing (deploy/install-deps.sh installs it)"

step "start moto, controller (with its gateway) and agent"
start_s3 moto moto
MOTO=$T/moto
HTTP_PORT=$(free_port)
CONTROLLER_FLAGS="--http_listen=127.0.0.1:$HTTP_PORT"
start_controller
start_agent
wait_for "agent to register" agent_online
CA=$T/state/pki/ca.pem
ADMIN=$(cat "$DBDUMP_CONFIG_DIR/token")
H=https://controller.dbdump:$HTTP_PORT
# gw [curl args...] PATH: curl through the gateway with the admin token (or $TOKEN).
gw() {
  local path=${*: -1}
  curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" \
    -H "Authorization: Bearer ${TOKEN:-$ADMIN}" "${@:1:$#-1}" "$H$path"
}
sha() { sha256sum < "$1" | cut -d' ' -f1; }

step "back up a SQLite database to local storage and to S3"
# Random blobs: a dump of a few MiB that zstd cannot shrink, so it takes
# several 1 MiB chunks.
sqlite3 "$T/app.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT, data BLOB);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 40000)
  INSERT INTO notes(body, data) SELECT 'note ' || x, randomblob(64) FROM c;" >/dev/null
ctl storage add local --kind=local --path="$T/store"
ctl storage add moto --kind=s3 --bucket=dbdump-test --prefix=dl --endpoint="$(cat "$MOTO/endpoint")" \
  --path-style --credentials-ref="file:$MOTO/credentials" --role-arn="$(cat "$MOTO/role_arn")" \
  --external-id="$(cat "$MOTO/external_id")"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
ctl database add app-s3 --engine=sqlite --agent=agent-1 --storage=moto --path="$T/app.db"
ctl backup run app --wait
ctl backup run app-s3 --wait
LOCAL_ID=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')
S3_ID=$(ctl --output=json backup list --database=app-s3 | json_field 'd["backups"][0]["id"]')
manifest_of() { ctl --output=json backup show "$1" | json_field 'd["backup"]["manifest"]["'"$2"'"]'; }
LOCAL_SHA=$(manifest_of "$LOCAL_ID" stored_sha256)
S3_SHA=$(manifest_of "$S3_ID" stored_sha256)
LOCAL_OBJECT=$(manifest_of "$LOCAL_ID" dump_object)
LOCAL_SIZE=$(manifest_of "$LOCAL_ID" stored_size_bytes)
[ "$LOCAL_SIZE" -gt $((2 << 20)) ] || fail "the dump is $LOCAL_SIZE bytes; the test wants several chunks"

step "dbdumpctl downloads the local backup, checked against the manifest"
ctl backup download "$LOCAL_ID" -o "$T/local.zst"
[ "$(sha "$T/local.zst")" = "$LOCAL_SHA" ] || fail "local download: sha256 differs from the manifest"
zstd -dc < "$T/local.zst" > "$T/local.db" || fail "zstd cannot read the local download"
[ "$(sqlite3 "$T/local.db" 'SELECT count(*) FROM notes')" = 40000 ] || fail "the downloaded database is not the backup"
[ ! -e "$T/local.zst.part" ] || fail "a .part file was left"
expect_error "exists" ctl backup download "$LOCAL_ID" -o "$T/local.zst"
ctl backup download "$LOCAL_ID" --output-file="$T/local.zst" --force
ctl backup download "$LOCAL_ID" --object=manifest.json -o "$T/manifest.json"
cmp -s "$T/manifest.json" "$T/store/app/$LOCAL_ID/manifest.json" || fail "manifest.json download differs from the stored one"
expect_error "no object" ctl backup download "$LOCAL_ID" --object=../../etc/passwd -o "$T/x"
[ ! -e "$T/x" ] || fail "a refused download left a file"

step "curl downloads the local backup through the gateway"
gw -D "$T/h1" -o "$T/curl-local.zst" "/v1/backups/$LOCAL_ID:download"
grep -qi '^HTTP/[0-9.]* 200' "$T/h1" || fail "gateway download: $(head -1 "$T/h1")"
grep -qi '^content-type: application/octet-stream' "$T/h1" || fail "no octet-stream content type: $(cat "$T/h1")"
grep -qi "^content-length: $LOCAL_SIZE" "$T/h1" || fail "content-length is not $LOCAL_SIZE: $(cat "$T/h1")"
grep -qi "^content-disposition: attachment; filename=\"app-$LOCAL_ID-$LOCAL_OBJECT\"" "$T/h1" \
  || fail "no attachment file name: $(cat "$T/h1")"
grep -qi "^x-dbdump-sha256: $LOCAL_SHA" "$T/h1" || fail "X-Dbdump-Sha256 is not the manifest's: $(cat "$T/h1")"
[ "$(sha "$T/curl-local.zst")" = "$LOCAL_SHA" ] || fail "gateway download: sha256 differs from the manifest"
zstd -t -q "$T/curl-local.zst" || fail "zstd cannot read the gateway download"
code=$(gw -o /dev/null -w '%{http_code}' -H 'Range: bytes=100-' "/v1/backups/$LOCAL_ID:download")
[ "$code" = 416 ] || fail "a ranged download was answered $code"

step "dbdumpctl downloads the S3 backup from the URL the agent presigned"
ctl backup download "$S3_ID" -o "$T/s3.zst"
[ "$(sha "$T/s3.zst")" = "$S3_SHA" ] || fail "S3 download: sha256 differs from the manifest"
zstd -t -q "$T/s3.zst" || fail "zstd cannot read the S3 download"

step "curl follows the gateway's redirect to the bucket"
gw -D "$T/h2" -o /dev/null "/v1/backups/$S3_ID:download"
grep -qi '^HTTP/[0-9.]* 302' "$T/h2" || fail "no redirect for an S3 backup: $(head -1 "$T/h2")"
grep -qi '^cache-control: no-store' "$T/h2" || fail "the redirect may be cached: $(cat "$T/h2")"
LOCATION=$(grep -i '^location: ' "$T/h2" | cut -d' ' -f2 | tr -d '\r')
case "$LOCATION" in
  "$(cat "$MOTO/endpoint")/dbdump-test/dl/app-s3/$S3_ID/"*X-Amz-Security-Token=*X-Amz-Signature=*) ;;
  *) fail "the redirect is not a presigned URL of the object with a session token: ${LOCATION%%\?*}" ;;
esac
gw -L -o "$T/curl-s3.zst" "/v1/backups/$S3_ID:download"
[ "$(sha "$T/curl-s3.zst")" = "$S3_SHA" ] || fail "curl -L download: sha256 differs from the manifest"
zstd -t -q "$T/curl-s3.zst" || fail "zstd cannot read the curl -L download"

step "an expired presigned URL is refused by the bucket"
gw -D "$T/h3" -o /dev/null "/v1/backups/$S3_ID:download?presign_ttl_s=1"
SHORT=$(grep -i '^location: ' "$T/h3" | cut -d' ' -f2 | tr -d '\r')
echo "$SHORT" | grep -q 'X-Amz-Expires=1&' || fail "presign_ttl_s=1 was not used"
sleep 2.5
code=$(curl -sS -o "$T/expired" -w '%{http_code}' "$SHORT")
[ "$code" = 403 ] || fail "an expired presigned URL was answered $code"
code=$(gw -o "$T/body" -w '%{http_code}' "/v1/backups/$S3_ID:download?presign_ttl_s=3601")
[ "$code" = 400 ] || fail "presign_ttl_s=3601: HTTP $code"

step "the agent serves a backup's bytes to the controller only"
READ=--call=agent.ReadBackupObject:$T/store:app:$LOCAL_ID:$LOCAL_OBJECT
out=$("$BIN/grpc_probe" --target=127.0.0.1:$AGENT_PORT --ca="$CA" --cert="$T/state/pki/controller.pem" \
  --key="$T/state/pki/controller.key" --identity=spiffe://dbdump/agent/agent-1 "$READ")
[ "$out" = OK ] || fail "the controller's certificate cannot read the object: $out"
out=$("$BIN/grpc_probe" --target=127.0.0.1:$AGENT_PORT --ca="$CA" --cert="$T/agent-work/tls/agent.pem" \
  --key="$T/agent-work/tls/agent.key" --identity=spiffe://dbdump/agent/agent-1 "$READ")
case "$out" in PERMISSION_DENIED*) echo "   refused as expected: ${out:0:120}" ;;
  *) fail "an agent's certificate read a backup object from the agent: $out" ;; esac

step "viewer and operator tokens are refused"
VIEWER=$(ctl --output=json token create reader --role=viewer | json_field 'd["secret"]')
OPERATOR=$(ctl --output=json token create ops --role=operator | json_field 'd["secret"]')
for tok in "$VIEWER" "$OPERATOR"; do
  code=$(TOKEN=$tok gw -o "$T/body" -w '%{http_code}' "/v1/backups/$LOCAL_ID:download")
  [ "$code" = 403 ] || fail "a download with a non-admin token was answered $code"
  expect_error "admin" env DBDUMP_TOKEN="$tok" "$BIN/dbdumpctl" backup download "$LOCAL_ID" -o "$T/denied.zst"
  [ ! -e "$T/denied.zst" ] && [ ! -e "$T/denied.zst.part" ] || fail "a refused download left a file"
done

step "downloads are in the audit log"
ctl --output=json audit list --limit=1000 | python3 -c "
import json, sys
entries = [e for e in json.load(sys.stdin).get('entries', []) if e.get('rpc', '').endswith('/DownloadBackup')]
def has(actor, target, outcome):
    return any(e.get('actor') == actor and target in e.get('target', '') and e.get('outcome') == outcome
               for e in entries)
assert has('token:admin', 'id=$LOCAL_ID', 'ok'), entries
assert has('token:admin', 'id=$S3_ID', 'ok'), entries
assert has('token:admin', 'object=manifest.json', 'ok'), entries
assert has('token:reader', '', 'PERMISSION_DENIED'), entries
assert has('token:ops', '', 'PERMISSION_DENIED'), entries
" || fail "a download is missing from the audit log"
ctl audit verify

step "a corrupted local object fails the download and leaves no file"
python3 - "$T/store/app/$LOCAL_ID/$LOCAL_OBJECT" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(1 << 20)
    b = f.read(1)
    f.seek(1 << 20)
    f.write(bytes([b[0] ^ 0xFF]))
PY
out=$(ctl backup download "$LOCAL_ID" -o "$T/bad.zst" 2>&1) && fail "a corrupted backup was downloaded: $out"
echo "$out" | grep -q "sha256" || fail "the failure does not name the checksum: $out"
echo "   refused as expected: $(echo "$out" | tail -n 1)"
[ ! -e "$T/bad.zst" ] && [ ! -e "$T/bad.zst.part" ] || fail "a corrupted download left a file"

step "no presigned URL, signature or session token in logs or the audit log"
TOKEN_IN_URL=$(python3 -c "import sys, urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query)['X-Amz-Security-Token'][0])" "$LOCATION")
SIG_IN_URL=$(python3 -c "import sys, urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query)['X-Amz-Signature'][0])" "$LOCATION")
for secret in "$TOKEN_IN_URL" "$SIG_IN_URL" "$(cat "$MOTO/secret_access_key")" X-Amz-Signature; do
  for f in "$T/controller.log" "$T/agent.log" "$T/controller.db"*; do
    if grep -aqF -- "$secret" "$f"; then fail "found ${secret:0:12}... in $f"; fi
  done
done
echo "PASS"
