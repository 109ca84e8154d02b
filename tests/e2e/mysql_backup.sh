#!/usr/bin/env bash
# End to end against a real MariaDB server: back up through controller,
# agent and dbdumpctl, restore into a new database and compare dumps, test
# restore recorded on the backup, dry run, clean only when asked, hostile
# names and a wrong password refused in one line, no secret in any log.
source "$(dirname "$0")/lib.sh"

step "start MariaDB, controller and agent"
start_mariadb my
mysql_as mysql "CREATE DATABASE shop CHARACTER SET utf8mb4"
mysql_as shop "
  CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(200), note MEDIUMTEXT NULL,
                          photo LONGBLOB NULL) ENGINE=InnoDB;
  INSERT INTO customers (name, note, photo) VALUES
    ('Zoë ünïcødé 😀', NULL, UNHEX('00FF00FF')), ('O''Brien; DROP TABLE x', 'tab\there', NULL),
    ('big', REPEAT('x', 200000), RANDOM_BYTES(1024));
  CREATE TABLE orders (id INT PRIMARY KEY, customer INT, total DECIMAL(10,2),
                       FOREIGN KEY (customer) REFERENCES customers(id));
  INSERT INTO orders SELECT seq, 1 + seq % 3, seq * 1.5 FROM seq_1_to_3000;
  CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 4000;
  CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
  CREATE TRIGGER orders_guard BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = ABS(NEW.total);"
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"
MY_FLAGS=(--engine=mysql --agent=agent-1 --storage=local --host=127.0.0.1 --port="$MY_PORT"
          --user=dbdump --password-ref="file:$MY_PASSFILE")

step "bad input is refused in one line"
echo "wrong-password" > "$T/wrong.pass"; chmod 600 "$T/wrong.pass"
expect_error "authentication failed" ctl database add bad --engine=mysql --agent=agent-1 \
  --storage=local --host=127.0.0.1 --port="$MY_PORT" --user=dbdump --dbname=shop \
  --password-ref="file:$T/wrong.pass"
expect_error "globals is a PostgreSQL option" \
  ctl database add bad "${MY_FLAGS[@]}" --dbname=shop --globals
expect_error "no table or view \"nosuch\" in database \"shop\"" \
  ctl database add bad "${MY_FLAGS[@]}" --dbname=shop --table=orders --table=nosuch
rm -f /tmp/dbdump-e2e-mysql-x
if ctl database add hostile "${MY_FLAGS[@]}" --dbname=--file=/tmp/dbdump-e2e-mysql-x 2>"$T/hostile.err"; then
  fail "a database named --file=... that does not exist was accepted"
fi
echo "   rejected as expected: $(cat "$T/hostile.err")"
[ ! -e /tmp/dbdump-e2e-mysql-x ] || fail "an option-shaped name created a file"

step "back up, read it with standard tools"
ctl database add shop "${MY_FLAGS[@]}" --dbname=shop
ctl backup run shop --wait
ID=$(ctl --output=json backup list --database=shop | json_field 'd["backups"][0]["id"]')
ctl backup show "$ID"
zstd -dc "$T/store/shop/$ID/dump.sql.zst" > "$T/dump.sql"
head -c 300 "$T/dump.sql" | grep -q "MariaDB dump\|MySQL dump" || fail "not a mariadb-dump file"
grep -q "CREATE TABLE \`customers\`" "$T/dump.sql" || fail "customers missing from the dump"
[ "$(sha256sum < "$T/dump.sql" | cut -d' ' -f1)" = \
  "$(json_field 'd["raw_sha256"]' < "$T/store/shop/$ID/manifest.json")" ] || fail "raw sha256 differs"

step "restore into a new database and compare"
ctl restore "$ID" --target=shop_copy --wait
normalized_dump() {
  mariadb-dump --defaults-file="$MY_CNF" --skip-dump-date --routines --events --triggers --hex-blob \
    --skip-comments "$1" | sed -e 's/DEFINER=[^ ]* //' > "$T/$1.norm.sql"
}
normalized_dump shop; normalized_dump shop_copy
cmp -s "$T/shop.norm.sql" "$T/shop_copy.norm.sql" || { diff "$T/shop.norm.sql" "$T/shop_copy.norm.sql" | head -20; fail "restored dump differs"; }
[ "$(mysql_as shop_copy "SELECT twice(21)")" = 42 ] || fail "function not restored"

step "test restore and dry run"
ctl backup test-restore "$ID" --wait | tee "$T/tr.txt"
grep -q "test restore of backup $ID passed" "$T/tr.txt" || fail "test restore did not pass"
ctl backup show "$ID" > "$T/show.txt"
grep -q "test restore: *20.*: passed" "$T/show.txt" || fail "test restore not recorded"
[ -z "$(mysql_as mysql "SHOW DATABASES LIKE 'dbdump\_scratch\_%'")" ] || fail "scratch database left"
ctl restore "$ID" --dry-run --wait | tee "$T/dry.txt"
grep -q "dry run of backup $ID passed" "$T/dry.txt" || fail "dry run failed"

step "the original: refused while it has tables, replaced with --clean"
mysql_as shop "DELETE FROM orders WHERE id > 10"
expect_job_failure "--clean" ctl restore "$ID" --wait
[ "$(mysql_as shop "SELECT COUNT(*) FROM orders")" = 10 ] || fail "a refused restore changed data"
ctl restore "$ID" --clean --wait
[ "$(mysql_as shop "SELECT COUNT(*) FROM orders")" = 3000 ] || fail "--clean did not restore"

step "no secret in logs or the store"
PW=$(cat "$MY_PASSFILE")
if grep -rqF -- "$PW" "$T"/*.log "$T/controller.db"* 2>/dev/null; then fail "password leaked"; fi
# The write journal's directory stays; its entries go once each job is cleaned up.
{ ls -A "$T/agent-work" | grep -vE '^(journal|tls|writes)$'; ls -A "$T/agent-work/writes"; } > "$T/leftover.txt" || true
[ ! -s "$T/leftover.txt" ] || fail "files left in the agent's work directory: $(cat "$T/leftover.txt")"
echo "PASS"
