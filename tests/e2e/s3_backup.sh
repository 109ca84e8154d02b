#!/usr/bin/env bash
# End to end through S3: the agent backs up a real PostgreSQL into moto (with
# STS AssumeRole and an external id) and into OpenStack Swift (static keys),
# the controller restores from each, standard clients (aws, zstd, pg_restore,
# sha256sum) read what was stored, and dbdumpctl lists and restores straight
# from the bucket with no controller running. Bad S3 settings are refused
# when the storage is added; a tampered object is never applied.
source "$(dirname "$0")/lib.sh"

step "start PostgreSQL, moto, Swift, controller and agent"
start_postgres pg
psql_as postgres "CREATE DATABASE shop"
psql_as shop "CREATE TABLE orders (id int PRIMARY KEY, who text, total numeric(10,2), at timestamptz, doc jsonb);
  INSERT INTO orders SELECT g, 'customer ' || g, g * 1.5, '2026-01-01'::timestamptz + g * interval '1 minute',
                            jsonb_build_object('g', g, 'tags', jsonb_build_array('x', 'y'))
  FROM generate_series(1, 200000) g;"
FP="SELECT count(*) || ':' || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o"
start_s3 moto moto
start_s3 swift swift
MOTO="$T/moto"; SWIFT="$T/swift"
start_controller
start_agent
wait_for "agent to register" agent_online

step "bad S3 settings are refused with one clear line"
expect_error "bucket name" ctl storage add bad1 --kind=s3 --bucket=Bad_Bucket --endpoint="$(cat "$MOTO/endpoint")" \
  --path-style --credentials-ref="file:$MOTO/credentials"
expect_error "unreachable\|connect" ctl storage add bad2 --kind=s3 --bucket=dbdump-test --endpoint=http://127.0.0.1:1 \
  --path-style --credentials-ref="file:$MOTO/credentials"
umask 077
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = wrong-secret-value\n' "$(cat "$MOTO/access_key_id")" > "$T/wrong-credentials"
expect_error "access denied" ctl storage add bad3 --kind=s3 --bucket=dbdump-test --endpoint="$(cat "$MOTO/endpoint")" \
  --path-style --credentials-ref="file:$T/wrong-credentials"
expect_error "does not exist" ctl storage add bad4 --kind=s3 --bucket=no-such-bucket --endpoint="$(cat "$MOTO/endpoint")" \
  --path-style --credentials-ref="file:$MOTO/credentials"
expect_error "secret" ctl storage add bad5 --kind=s3 --bucket=dbdump-test --secret-key=abc
[ "$(ctl --output=json storage list | json_field 'len(d.get("storages", []))')" = 0 ] || fail "a bad storage was added"

step "add S3 storages: moto through STS AssumeRole, Swift with static keys"
ctl storage add moto --kind=s3 --bucket=dbdump-test --prefix=backups/prod --endpoint="$(cat "$MOTO/endpoint")" \
  --path-style --credentials-ref="file:$MOTO/credentials" --role-arn="$(cat "$MOTO/role_arn")" \
  --external-id="$(cat "$MOTO/external_id")" --part-size=5MiB
ctl storage add swift --kind=s3 --bucket=dbdump-test --prefix=pg --endpoint="$(cat "$SWIFT/endpoint")" --max-parts=1000 \
  --path-style --credentials-ref="file:$SWIFT/credentials" --part-size=5MiB
ctl storage list

for S in moto swift; do
  step "back up to $S and restore from it"
  ctl database add "shop-$S" --engine=postgres --agent=agent-1 --storage="$S" --host=127.0.0.1 \
    --port="$PG_PORT" --user=dbdump --dbname=shop --password-ref="file:$PG_PASSFILE"
  ctl backup run "shop-$S" --compression=zstd --wait
  ID=$(ctl --output=json backup list --database="shop-$S" | json_field 'd["backups"][0]["id"]')
  ctl restore "$ID" --target="restored_$S" --wait
  [ "$(psql_as "restored_$S" "$FP")" = "$(psql_as shop "$FP")" ] || fail "content restored from $S differs"
  eval "ID_$S=$ID"
done

step "standard clients read the backup in the bucket"
prefix="backups/prod/shop-moto/$ID_moto"
aws_moto() { AWS_SHARED_CREDENTIALS_FILE="$MOTO/credentials" aws --region us-east-1 --endpoint-url "$(cat "$MOTO/endpoint")" "$@"; }
aws_moto s3 cp "s3://dbdump-test/$prefix/manifest.json" "$T/manifest.json" >/dev/null
aws_moto s3 cp "s3://dbdump-test/$prefix/dump.pgdump.zst" "$T/dump.zst" >/dev/null
[ "$(sha256sum < "$T/dump.zst" | cut -d' ' -f1)" = "$(json_field 'd["stored_sha256"]' < "$T/manifest.json")" ] \
  || fail "stored sha256 differs from the manifest"
[ "$(zstd -dc < "$T/dump.zst" | sha256sum | cut -d' ' -f1)" = "$(json_field 'd["raw_sha256"]' < "$T/manifest.json")" ] \
  || fail "raw sha256 differs from the manifest"
zstd -dc < "$T/dump.zst" > "$T/dump.pgdump"
pg_restore -l "$T/dump.pgdump" > "$T/toc.txt" || fail "pg_restore -l cannot read the dump"
grep -q "TABLE public orders" "$T/toc.txt" || fail "pg_restore -l does not list the orders table"
[ "$(aws_moto s3api list-multipart-uploads --bucket dbdump-test --output json | json_field 'len(d.get("Uploads") or [])')" = 0 ] \
  || fail "incomplete uploads left"

step "list and restore straight from the bucket, with no controller"
kill -9 "$CONTROLLER_PID"
S3FLAGS=(--endpoint="$(cat "$SWIFT/endpoint")" --path-style --credentials-ref="file:$SWIFT/credentials")
ctl s3 list "s3://dbdump-test/pg" "${S3FLAGS[@]}"
ctl --output=json s3 list "s3://dbdump-test/pg" "${S3FLAGS[@]}" | grep -q "$ID_swift" || fail "s3 list misses $ID_swift"
ctl s3 restore "s3://dbdump-test/pg" "$ID_swift" --database=shop-swift --target=from_bucket \
  --host=127.0.0.1 --port="$PG_PORT" --user=dbdump --password-ref="file:$PG_PASSFILE" "${S3FLAGS[@]}"
[ "$(psql_as from_bucket "$FP")" = "$(psql_as shop "$FP")" ] || fail "restore from the bucket differs"

step "a tampered object in the bucket is refused and nothing is restored"
zstd -dc < "$T/dump.zst" | zstd -q -1 -c > "$T/other.zst"   # valid zstd, same content, other bytes
aws_moto s3 cp "$T/other.zst" "s3://dbdump-test/$prefix/dump.pgdump.zst" >/dev/null
out=$(ctl s3 restore "s3://dbdump-test/backups/prod" "$ID_moto" --database=shop-moto --target=tampered \
  --host=127.0.0.1 --port="$PG_PORT" --user=dbdump --password-ref="file:$PG_PASSFILE" \
  --endpoint="$(cat "$MOTO/endpoint")" --path-style --credentials-ref="file:$MOTO/credentials" \
  --role-arn="$(cat "$MOTO/role_arn")" --external-id="$(cat "$MOTO/external_id")" 2>&1) && fail "tampered restore succeeded"
echo "$out" | grep -qi "corrupt" || fail "tampered restore did not report corruption: $out"
[ -z "$(psql_as postgres "SELECT 1 FROM pg_database WHERE datname = 'tampered'")" ] || fail "a database was created from a tampered backup"

step "no secret in logs or the store"
for secret in "$(cat "$MOTO/secret_access_key")" "$(cat "$SWIFT/secret_access_key")" wrong-secret-value; do
  for f in "$T/controller.log" "$T/agent.log" "$T/controller.db"*; do
    if grep -aq -- "$secret" "$f"; then fail "secret found in $f"; fi
  done
done
echo "PASS"
