#!/usr/bin/env bash
# End to end: selective backups, every restore option and test-restore
# verification through controller, agent and dbdumpctl as separate processes,
# against a real PostgreSQL. The controller records the test restore on the
# backup; dry runs and test restores leave no database behind.
source "$(dirname "$0")/lib.sh"

step "start PostgreSQL, controller and agent"
start_postgres pg
psql_as postgres "CREATE DATABASE shop"
psql_as postgres "CREATE ROLE shop_reader"
psql_as postgres "CREATE ROLE shop_writer LOGIN PASSWORD 'writer-pw-e2e'"
psql_as shop "CREATE TABLE orders (id serial PRIMARY KEY, note text);
              INSERT INTO orders (note) SELECT 'n' || g FROM generate_series(1, 5000) g;
              CREATE TABLE audit (id int); INSERT INTO audit SELECT generate_series(1, 10);"
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"
PG_FLAGS=(--agent=agent-1 --storage=local --host=127.0.0.1 --port="$PG_PORT" --user=dbdump
          --password-ref="file:$PG_PASSFILE")

step "dump options are checked when the database is added"
expect_error "unknown PostgreSQL dump format \"directory\"" \
  ctl database add bad --engine=postgres "${PG_FLAGS[@]}" --dbname=shop --format=directory
expect_error "exclude each other" \
  ctl database add bad --engine=postgres "${PG_FLAGS[@]}" --dbname=shop --schema-only --data-only
expect_error "does not apply to sqlite" \
  ctl database add bad --engine=sqlite --agent=agent-1 --storage=local --path=/x.db --globals
expect_error "unknown engine \"oracle\"" \
  ctl database add bad --engine=oracle --agent=agent-1 --storage=local
expect_error "no table \"nosuch\", \"ghost\" in" \
  ctl database add bad --engine=postgres "${PG_FLAGS[@]}" --dbname=shop --table=orders \
  --table=nosuch --table=ghost
# --skip-connection-test skips the table check with the rest of the test.
ctl database add unchecked --engine=postgres "${PG_FLAGS[@]}" --dbname=shop --table=nosuch \
  --skip-connection-test
ctl database remove unchecked
ctl database add shop --engine=postgres "${PG_FLAGS[@]}" --dbname=shop --globals \
  --exclude-table=audit

step "selective backup with globals"
ctl backup run shop --wait
ID=$(ctl --output=json backup list --database=shop | json_field 'd["backups"][0]["id"]')
ctl backup show "$ID" | tee "$T/show.txt"
grep -q "dump options: *--exclude-table=audit --globals" "$T/show.txt" || fail "dump options not shown"
grep -q "globals object: *globals.sql.zst" "$T/show.txt" || fail "globals object not shown"
grep -q "test restore: *never" "$T/show.txt" || fail "a fresh backup claims a test restore"
zstd -dc "$T/store/shop/$ID/globals.sql.zst" > "$T/globals.sql"
grep -q "CREATE ROLE shop_reader" "$T/globals.sql" || fail "globals object lacks the role"
zstd -dc "$T/store/shop/$ID/dump.pgdump.zst" > "$T/dump.pgdump"
pg_restore -l "$T/dump.pgdump" > "$T/toc.txt"
grep -q "TABLE DATA public orders" "$T/toc.txt" || fail "orders missing from the dump"
if grep -q "audit" "$T/toc.txt"; then fail "excluded table audit is in the dump"; fi

step "test restore: recorded on the backup, no scratch database left"
ctl backup test-restore "$ID" --wait | tee "$T/tr.txt"
grep -q "test restore of backup $ID passed" "$T/tr.txt" || fail "test restore did not pass"
grep -q "ok  *public.orders: 5000 rows" "$T/tr.txt" || fail "row count of orders not reported"
ctl backup show "$ID" | tee "$T/show2.txt"
grep -q "test restore: *20.*: passed" "$T/show2.txt" || fail "test restore not recorded on the backup"
[ "$(psql_as postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbdump_scratch_%'")" = 0 ] \
  || fail "scratch database left behind"

step "dry run: checks and lists, touches no database"
DBS_BEFORE=$(psql_as postgres "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database")
ctl restore "$ID" --dry-run --wait | tee "$T/dry.txt"
grep -q "entries listed by pg_restore --list" "$T/dry.txt" || fail "dry run listed nothing"
grep -q "dry run of backup $ID passed: nothing was restored" "$T/dry.txt" || fail "dry run outcome"
[ "$(psql_as postgres "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database")" = "$DBS_BEFORE" ] \
  || fail "the dry run changed the databases"
expect_error "touches no database" ctl restore "$ID" --dry-run --target=x
expect_error "name the target with --target" ctl restore "$ID" --via=shop

step "restore into the original: nothing dropped unless --clean"
psql_as shop "DELETE FROM orders WHERE id > 100"
expect_job_failure "already exists.*pass --clean to replace them" ctl restore "$ID" --wait
[ "$(psql_as shop "SELECT count(*) FROM orders")" = 100 ] || fail "a failed restore changed data"
ctl restore "$ID" --clean --wait
[ "$(psql_as shop "SELECT count(*) FROM orders")" = 5000 ] || fail "--clean did not restore orders"
[ "$(psql_as shop "SELECT count(*) FROM audit")" = 10 ] || fail "--clean dropped a table not in the backup"

step "the manifest records the compression level used, durations print as given"
[ "$(json_field 'd["compression_level"]' < "$T/store/shop/$ID/manifest.json")" = 3 ] \
  || fail "the manifest does not record zstd's default level 3"
ctl backup show "$ID" | grep -q "compression: *zstd (level 3)" || fail "backup show lacks the level"
ctl schedule add shop-nightly --database=shop --cron="30 2 * * *" --tz=UTC --timeout=6h \
  --max-attempts=3 --retry-backoff=1h30m --keep-within=30d > /dev/null
ctl schedule show shop-nightly | tee "$T/sched.txt"
grep -q "timeout: *6h$" "$T/sched.txt" || fail "schedule show prints the timeout in seconds"
grep -q "retry backoff: *1h30m, doubled" "$T/sched.txt" || fail "schedule show lacks the retry backoff"
grep -q "within 30d" "$T/sched.txt" || fail "schedule show prints keep-within in seconds"
ctl schedule remove shop-nightly

step "parallel restore and --no-create"
ctl restore "$ID" --target=shop_par --jobs=2 --wait
[ "$(psql_as shop_par "SELECT count(*) FROM orders")" = 5000 ] || fail "parallel restore content"
expect_job_failure "--no-create" ctl restore "$ID" --target=shop_absent --no-create --wait
[ "$(psql_as postgres "SELECT count(*) FROM pg_database WHERE datname = 'shop_absent'")" = 0 ] \
  || fail "--no-create created the database"

step "restore --globals: missing roles created, existing ones kept, said in the notes"
psql_as postgres "DROP ROLE shop_writer"
psql_as postgres "ALTER ROLE shop_reader CONNECTION LIMIT 2"
ctl restore "$ID" --target=shop_globals --globals --wait | tee "$T/globals.txt"
grep -q "globals: created roles shop_writer (1)" "$T/globals.txt" || fail "created role not noted"
grep -q "globals: kept existing roles shop_reader (password and attributes unchanged" \
  "$T/globals.txt" || fail "kept role not noted"
[ "$(psql_as postgres "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'shop_writer'")" = t ] \
  || fail "shop_writer was not created with its attributes"
[ "$(psql_as postgres "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'shop_reader'")" = 2 ] \
  || fail "--globals changed an existing role"
[ "$(psql_as shop_globals "SELECT count(*) FROM orders")" = 5000 ] || fail "globals restore content"
if grep -q "SCRAM-SHA-256" "$T/globals.txt"; then fail "a password hash in the restore's output"; fi

step "a failing test restore is recorded too"
python3 - "$T/store/shop/$ID/manifest.json" <<'EOF'
import json, sys
p = sys.argv[1]
m = json.load(open(p))
m.setdefault("tables", []).append({"name": "public.ghost", "rows": "-1"})
json.dump(m, open(p, "w"))
EOF
expect_job_failure "table public.ghost is missing" ctl backup test-restore "$ID" --wait
ctl backup show "$ID" > "$T/show3.txt"
grep -q "test restore: *20.*: FAILED .*public.ghost" "$T/show3.txt" || fail "failed test restore not recorded"
[ "$(psql_as postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbdump_scratch_%'")" = 0 ] \
  || fail "scratch database left behind after a failure"

step "agent killed during a test restore: its scratch database goes when it starts again"
psql_as postgres "CREATE DATABASE bigdb"
psql_as bigdb "CREATE TABLE t AS SELECT g, md5(g::text) || repeat('z', 300) AS s FROM generate_series(1, 400000) g"
ctl database add bigdb --engine=postgres "${PG_FLAGS[@]}" --dbname=bigdb
ctl backup run bigdb --compression=none --wait >/dev/null
BIG_ID=$(ctl --output=json backup list --database=bigdb | json_field 'd["backups"][0]["id"]')
ctl backup test-restore "$BIG_ID" >/dev/null
scratch_count() { psql_as postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbdump_scratch_%'"; }
one_scratch() { [ "$(scratch_count)" = 1 ]; }
no_scratch() { [ "$(scratch_count)" = 0 ]; }
wait_for "the scratch database to appear" one_scratch
kill -9 "$AGENT_PID"
sleep 0.5
[ "$(scratch_count)" = 1 ] || fail "expected the killed agent's scratch database to be left"
start_agent
wait_for "the restarted agent to drop the scratch database" no_scratch
grep -q "dropped scratch database dbdump_scratch_" "$T/agent.log" || fail "sweep not logged"

step "restore into another cluster that lacks the backup's roles"
psql_as shop "GRANT SELECT ON orders TO shop_reader"
ctl backup run shop --wait >/dev/null
ID2=$(ctl --output=json backup list --database=shop | json_field 'd["backups"][0]["id"]')
SRC_PORT=$PG_PORT SRC_PASSFILE=$PG_PASSFILE
start_postgres pg2
OTHER_PORT=$PG_PORT OTHER_PASSFILE=$PG_PASSFILE
PG_PORT=$SRC_PORT PG_PASSFILE=$SRC_PASSFILE
psql_other() { PG_PORT=$OTHER_PORT PG_PASSFILE=$OTHER_PASSFILE psql_as "$@"; }
ctl database add other --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
  --port="$OTHER_PORT" --user=dbdump --password-ref="file:$OTHER_PASSFILE" --dbname=postgres
expect_job_failure 'role "shop_reader" does not exist.*--no-owner --no-privileges' \
  ctl restore "$ID2" --via=other --target=shop --wait
[ "$(psql_other postgres "SELECT count(*) FROM pg_database WHERE datname = 'shop'")" = 0 ] \
  || fail "the failed restore left the database on the other cluster"
ctl restore "$ID2" --via=other --target=shop --no-privileges --wait | tee "$T/elsewhere.txt"
grep -q "database settings applied to shop" "$T/elsewhere.txt" || fail "no database settings note"
[ "$(psql_other shop "SELECT count(*) FROM orders")" = 5000 ] || fail "orders not restored elsewhere"
ctl restore "$ID2" --via=other --target=shop_roles --globals --wait | tee "$T/globals.txt"
grep -q "globals: created roles.*shop_reader" "$T/globals.txt" || fail "globals note missing"
[ "$(psql_other shop_roles "SELECT count(*) FROM information_schema.role_table_grants
                            WHERE grantee = 'shop_reader' AND table_name = 'orders'")" = 1 ] \
  || fail "with the roles created first the grant is restored too"

step "no secret in logs or the store"
PW=$(cat "$PG_PASSFILE")
if grep -rqF -- "$PW" "$T"/*.log "$T/controller.db"* 2>/dev/null; then fail "password leaked"; fi
for hash in $(grep -o "SCRAM-SHA-256[^']*" "$T/globals.sql"); do
  if grep -rqF -- "$hash" "$T"/*.log "$T/controller.db"* 2>/dev/null; then fail "password hash leaked"; fi
done
echo "PASS"
