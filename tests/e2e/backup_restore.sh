#!/usr/bin/env bash
# End to end: controller, agent and dbdumpctl as separate processes back up a
# real PostgreSQL and a SQLite database, restore them into fresh targets and
# compare the content; standard tools read what was stored; bad input is
# refused with one clear line and changes nothing; no secret leaks.
source "$(dirname "$0")/lib.sh"

step "start PostgreSQL, controller and agent"
start_postgres pg
psql_as postgres "CREATE DATABASE shop"
psql_as shop "CREATE TABLE orders (id serial PRIMARY KEY, customer text, total numeric(10,2),
                placed timestamptz, meta jsonb, note text);
              INSERT INTO orders (customer, total, placed, meta, note)
                SELECT 'customer ' || g || ' — ünïcødé', g * 3.5, '2026-01-01'::timestamptz + g * interval '1 hour',
                       jsonb_build_object('n', g), CASE WHEN g % 5 = 0 THEN NULL ELSE md5(g::text) END
                FROM generate_series(1, 50000) g;
              CREATE TABLE files (id int PRIMARY KEY, body bytea);
              INSERT INTO files SELECT g, decode(repeat('00ff', g * 100), 'hex') FROM generate_series(1, 100) g;
              CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 1000;"
PG_FINGERPRINT="SELECT (SELECT count(*) || ':' || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o) || '/' ||
                       (SELECT md5(string_agg(f::text, ',' ORDER BY id)) FROM files f) || '/' ||
                       (SELECT count(*) FROM big_orders)"
sqlite3 "$T/app.db" "PRAGMA journal_mode=WAL; CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT, data BLOB);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000)
  INSERT INTO notes(body, data) SELECT 'note ' || x || ' ✓', randomblob(64) FROM c;" >/dev/null
start_controller
start_agent
wait_for "agent to register" agent_online
ctl agent list

step "configure storage and databases"
ctl storage add local --kind=local --path="$T/store"
ctl database add shop --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
  --port="$PG_PORT" --user=dbdump --dbname=shop --password-ref="file:$PG_PASSFILE"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
ctl database list

step "back up both"
ctl backup run shop --wait
ctl backup run app --compression=gzip --level=9 --wait
ctl backup list
PG_ID=$(ctl --output=json backup list --database=shop | json_field 'd["backups"][0]["id"]')
SQ_ID=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')
ctl backup show "$PG_ID"

step "restore into fresh targets and compare"
ctl restore "$PG_ID" --target=shop_restored --wait
[ "$(psql_as shop_restored "$PG_FINGERPRINT")" = "$(psql_as shop "$PG_FINGERPRINT")" ] \
  || fail "restored PostgreSQL content differs"
ctl restore "$SQ_ID" --target="$T/app_restored.db" --wait
[ "$(sqlite3 "$T/app.db" .dump | sha256sum)" = "$(sqlite3 "$T/app_restored.db" .dump | sha256sum)" ] \
  || fail "restored SQLite content differs"
ctl job list

step "standard tools read the stored backup"
PG_DIR="$T/store/shop/$PG_ID"
MANIFEST="$PG_DIR/manifest.json"
[ -f "$MANIFEST" ] || fail "no manifest at $MANIFEST"
STORED_SHA=$(json_field 'd["stored_sha256"]' < "$MANIFEST")
RAW_SHA=$(json_field 'd["raw_sha256"]' < "$MANIFEST")
[ "$(sha256sum < "$PG_DIR/dump.pgdump.zst" | cut -d' ' -f1)" = "$STORED_SHA" ] || fail "stored sha256 mismatch"
[ "$(zstd -dc < "$PG_DIR/dump.pgdump.zst" | sha256sum | cut -d' ' -f1)" = "$RAW_SHA" ] || fail "raw sha256 mismatch"
zstd -dc < "$PG_DIR/dump.pgdump.zst" > "$T/shop.pgdump"
pg_restore -l "$T/shop.pgdump" > "$T/toc.txt" || fail "pg_restore -l cannot read the dump"
grep -q "TABLE public orders" "$T/toc.txt" || fail "pg_restore -l does not list the orders table"
SQ_DIR="$T/store/app/$SQ_ID"
[ "$(sha256sum < "$SQ_DIR/dump.sqlite.gz" | cut -d' ' -f1)" = "$(json_field 'd["stored_sha256"]' < "$SQ_DIR/manifest.json")" ] \
  || fail "sqlite stored sha256 mismatch"
gunzip -c < "$SQ_DIR/dump.sqlite.gz" > "$T/from_gzip.db"
[ "$(sqlite3 "$T/from_gzip.db" 'PRAGMA integrity_check')" = ok ] || fail "gunzipped sqlite backup is not intact"
[ "$(sqlite3 "$T/from_gzip.db" 'SELECT count(*) FROM notes')" = 20000 ] || fail "gunzipped sqlite backup lacks rows"

step "bad input is refused with a clear error and changes nothing"
umask 077
echo "definitely-wrong-pw" > "$T/wrong.pass"
DBS_BEFORE=$(ctl --output=json database list)
STORAGES_BEFORE=$(ctl --output=json storage list)
expect_error "unknown agent" ctl database add x1 --engine=postgres --agent=ghost --storage=local \
  --host=127.0.0.1 --port="$PG_PORT" --user=dbdump --dbname=shop --password-ref="file:$PG_PASSFILE"
expect_error "unreachable" ctl database add x2 --engine=postgres --agent=agent-1 --storage=local \
  --host=127.0.0.1 --port=1 --user=dbdump --dbname=shop --password-ref="file:$PG_PASSFILE"
expect_error "authentication failed" ctl database add x3 --engine=postgres --agent=agent-1 --storage=local \
  --host=127.0.0.1 --port="$PG_PORT" --user=dbdump --dbname=shop --password-ref="file:$T/wrong.pass"
expect_error "does not exist" ctl database add x4 --engine=postgres --agent=agent-1 --storage=local \
  --host=127.0.0.1 --port="$PG_PORT" --user=dbdump --dbname="--file=$T/hostile-x" --password-ref="file:$PG_PASSFILE"
[ ! -e "$T/hostile-x" ] || fail "$T/hostile-x was created"
expect_error "does not exist" ctl database add x5 --engine=postgres --agent=agent-1 --storage=local \
  --host=127.0.0.1 --port="$PG_PORT" --user=dbdump "--dbname=a b'c" --password-ref="file:$PG_PASSFILE"
expect_error "database name" ctl database add ../x --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
expect_error "database name" ctl database add --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db" -- -rf
expect_error ".." ctl storage add evil --kind=local --path="$T/store/../../etc"
expect_error "unknown database" ctl backup run nosuch
expect_error "unknown backup" ctl restore 20260101T000000Z-00000000 --target=y
expect_job_failure "already exists" ctl restore "$SQ_ID" --target="$T/app.db" --wait
[ "$(ctl --output=json database list)" = "$DBS_BEFORE" ] || fail "database list changed after bad input"
[ "$(ctl --output=json storage list)" = "$STORAGES_BEFORE" ] || fail "storage list changed after bad input"
[ "$(sqlite3 "$T/app.db" 'SELECT count(*) FROM notes')" = 20000 ] || fail "restore touched the original sqlite file"

step "a database literally named a b'c is backed up as data"
psql_as postgres "CREATE DATABASE \"a b'c\""
psql_as "a b'c" "CREATE TABLE t AS SELECT 1 AS one"
ctl database add odd --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
  --port="$PG_PORT" --user=dbdump "--dbname=a b'c" --password-ref="file:$PG_PASSFILE"
ctl backup run odd --wait
ODD_ID=$(ctl --output=json backup list --database=odd | json_field 'd["backups"][0]["id"]')
ctl restore "$ODD_ID" --target='x";y' --wait
[ "$(psql_as 'x";y' 'SELECT one FROM t')" = 1 ] || fail "odd name restore mismatch"

step "no secret appears in logs, the store, or the agent's work directory"
PW=$(cat "$PG_PASSFILE")
for f in "$T/controller.log" "$T/agent.log" "$T/controller.db"*; do
  if grep -aq -- "$PW" "$f" || grep -aq -- "definitely-wrong-pw" "$f"; then fail "secret found in $f"; fi
done
if grep -raq -- "$PW" "$T/agent-work"; then fail "secret left in the agent work directory"; fi
[ -z "$(find "$T/agent-work" -maxdepth 1 -type f)" ] || fail "files left in the agent work directory"
[ -z "$(find "$T/store" -name '*.partial-*')" ] || fail "partial objects left in storage"
echo "PASS"
