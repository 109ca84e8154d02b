#!/usr/bin/env bash
# End to end: the web dashboard in a real browser (Debian's chromium, driven
# by playwright-core from tests/browser) against a real controller serving
# its HTTP gateway over HTTPS, an agent, a SQLite database and local storage.
# The browser signs in with tokens of each role, starts a backup and watches
# its progress bar reach 100 %, verifies, test-restores and restores it,
# restores an encrypted backup from its copy (the identity named by
# reference), copies a backup to a destination added since, checks what a viewer may not do, and sees a database whose scheduled
# backups fail shown red once it is stale for real. Screenshots of every
# page are kept in the directory printed at the end.
source "$(dirname "$0")/lib.sh"
BROWSER_TESTS=$(cd "$(dirname "$0")/../browser" && pwd)

command -v node >/dev/null || fail "node is missing: run deploy/install-deps.sh"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing: run deploy/install-deps.sh"

# Kept after the test (lib.sh removes $T): the screenshots are its artefacts.
SHOTS=${DASH_SCREENSHOTS_DIR:-$(mktemp -d /tmp/dbdump-dashboard-screenshots.XXXXXX)}
mkdir -p "$SHOTS"

step "a SQLite database large enough to watch its backup, and one that will go stale"
sqlite3 "$T/app.db" "PRAGMA journal_mode=WAL; CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT, data BLOB);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 400000)
  INSERT INTO notes(body, data) SELECT printf('note %d %s', x, hex(randomblob(120))), randomblob(200) FROM c;" >/dev/null
sqlite3 "$T/legacy.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"

HTTP_PORT=$(free_port)
CONTROLLER_FLAGS="--http_listen=127.0.0.1:$HTTP_PORT ${CONTROLLER_FLAGS:-}"
start_controller
start_agent
wait_for "agent to register" agent_online
# The browser goes to the loopback address (see ignoreHTTPSErrors in the
# test); curl checks the chain: the certificate names controller.dbdump.
GATEWAY=https://127.0.0.1:$HTTP_PORT
NAMED=https://controller.dbdump:$HTTP_PORT
CA=$T/state/pki/ca.pem
ADMIN_TOKEN=$(cat "$T/state/admin.token")
tls() { curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" "$@"; }
wait_for "the gateway" tls --fail -H "Authorization: Bearer $ADMIN_TOKEN" "$NAMED/v1/health"

step "storage, databases, schedules, a first backup, tokens of each role"
ctl storage add local --kind=local --path="$T/store"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
ctl database add legacy --engine=sqlite --agent=agent-1 --storage=local --path="$T/legacy.db"
# Backups of legacy stop working: its file is gone. Its schedule runs every
# minute, so once two minutes pass without a good backup it is stale
# (controller/api/health_service_impl.cc: two intervals of its schedule).
rm "$T/legacy.db"
ctl schedule add legacy-every-minute --database=legacy --cron="* * * * *" --tz=UTC --max-attempts=1
ctl schedule add app-nightly --database=app --cron="30 2 * * *" --tz=Europe/Berlin --keep-last=14
# The dashboard measures a backup's progress against the previous one.
ctl backup run app --wait
# A PostgreSQL database whose table is granted to a role, and a setting of
# its own: the browser restores it without owners and grants.
start_postgres pg
psql_as postgres "CREATE DATABASE shop"
psql_as postgres "CREATE ROLE shop_reader"
psql_as postgres "ALTER DATABASE shop SET timezone TO 'Asia/Tokyo'"
psql_as shop "CREATE TABLE orders (id int PRIMARY KEY, note text);
              INSERT INTO orders SELECT g, 'n' || g FROM generate_series(1, 500) g;
              GRANT SELECT ON orders TO shop_reader;"
ctl database add shop --engine=postgres --agent=agent-1 --storage=local --host=127.0.0.1 \
  --port="$PG_PORT" --user=dbdump --password-ref="file:$PG_PASSFILE" --dbname=shop
ctl backup run shop --wait
# A copy destination added after shop's backup: the browser copies it there.
ctl storage add later --kind=local --path="$T/later"
ctl database update shop --copies=later
# An encrypted database with a copy in a second destination: the browser
# test-restores and restores it from the copy, naming the identity by reference.
age-keygen -o "$T/vault.key" 2>/dev/null
chmod 600 "$T/vault.key"
sqlite3 "$T/vault.db" "CREATE TABLE secrets(id INTEGER PRIMARY KEY, v TEXT);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000)
  INSERT INTO secrets(v) SELECT hex(randomblob(32)) FROM c;"
ctl storage add offsite --kind=local --path="$T/offsite"
ctl database add vault --engine=sqlite --agent=agent-1 --storage=local --copies=offsite \
  --path="$T/vault.db" --encrypt-to="$(age-keygen -y "$T/vault.key")"
ctl backup run vault --wait
# Only the copy can serve the browser's restores of it.
[ -d "$T/offsite/vault" ] || fail "the copy of vault was not written"
mv "$T/store/vault" "$T/vault-primary-moved-away"
OPERATOR_TOKEN=$(ctl --output=json token create ops --role=operator | json_field 'd["secret"]')
VIEWER_TOKEN=$(ctl --output=json token create reader --role=viewer | json_field 'd["secret"]')

step "the gateway serves the dashboard over HTTPS from the controller's CA, under a strict CSP"
tls --fail -D "$T/index.headers" -o "$T/index.html" "$NAMED/"
grep -qi "^content-security-policy:.*default-src 'self'" "$T/index.headers" \
  || fail "/ is served without the strict Content-Security-Policy: $(cat "$T/index.headers")"
grep -q '<script type="module" src="app.js">' "$T/index.html" || fail "/ is not the dashboard"
for f in app.js api.js style.css views/job.js; do
  tls --fail -o /dev/null "$NAMED/$f" || fail "$f is not served"
done
[ "$(tls -o /dev/null -w '%{http_code}' "$NAMED/v1/stats")" = 401 ] || fail "the API answers without a token"

step "the browser test"
# npm ci (from the npm registry) only when node_modules is missing or holds
# another playwright-core than package-lock.json names.
if ! (cd "$BROWSER_TESTS" && node -e '
    const want = require("./package-lock.json").packages["node_modules/playwright-core"].version;
    const have = require("./node_modules/playwright-core/package.json").version;
    process.exit(want === have ? 0 : 1)' 2>/dev/null); then
  (cd "$BROWSER_TESTS" && npm ci --no-audit --no-fund) || fail "npm ci in tests/browser failed"
fi
RESTORED=$T/app_restored.db
start=$SECONDS
(cd "$BROWSER_TESTS" && DASH_URL=$GATEWAY DASH_ADMIN_TOKEN=$ADMIN_TOKEN \
  DASH_OPERATOR_TOKEN=$OPERATOR_TOKEN DASH_VIEWER_TOKEN=$VIEWER_TOKEN \
  DASH_DATABASE=app DASH_STALE_DATABASE=legacy DASH_RESTORE_TARGET=$RESTORED \
  DASH_PG_DATABASE=shop DASH_PG_TARGET=shop_copy \
  DASH_ENC_DATABASE=vault DASH_ENC_IDENTITY_REF="file:$T/vault.key" \
  DASH_ENC_TARGET="$T/vault_restored.db" DASH_COPY_STORAGE=offsite DASH_LATER_STORAGE=later \
  DASH_SCREENSHOTS=$SHOTS node --test-reporter=spec dashboard.test.mjs) \
  || fail "the browser test failed (screenshots so far: $SHOTS)"
echo "   browser test took $((SECONDS - start)) s"

step "what the browser restored is the database"
[ "$(sqlite3 "$RESTORED" 'PRAGMA integrity_check')" = ok ] || fail "the restored file is not intact"
[ "$(sqlite3 "$T/app.db" .sha3sum)" = "$(sqlite3 "$RESTORED" .sha3sum)" ] || fail "the restored content differs"

step "the encrypted backup the browser restored from its copy is the database"
[ "$(sqlite3 "$T/vault.db" .sha3sum)" = "$(sqlite3 "$T/vault_restored.db" .sha3sum)" ] \
  || fail "the restored encrypted copy differs"
for f in "$T/controller.db"*; do
  if grep -aq "AGE-SECRET-KEY" "$f"; then fail "an identity reached the controller's store ($f)"; fi
done
grep -aq "file:$T/vault.key" "$T/controller.db"* || fail "the restore jobs do not keep the identity's reference"

step "the copy the browser asked for is in the destination added later"
SHOP_BACKUP=$(ctl --output=json backup list --database=shop | json_field 'd["backups"][0]["id"]')
[ -s "$T/later/shop/$SHOP_BACKUP/manifest.json" ] || fail "no copy of $SHOP_BACKUP in later"
[ "$(ctl --output=json backup show "$SHOP_BACKUP" | json_field '[c["state"] for c in d["backup"]["copies"]]')" \
  = "['BACKUP_COPY_STATE_COMMITTED']" ] || fail "the catalogue has no committed copy in later"

step "the PostgreSQL restore the browser asked for: no grants, the database's own setting"
[ "$(psql_as shop_copy "SELECT count(*) FROM orders")" = 500 ] || fail "shop_copy lacks its rows"
[ "$(psql_as shop_copy "SELECT count(*) FROM information_schema.role_table_grants
                        WHERE grantee = 'shop_reader'")" = 0 ] || fail "the grant was restored"
[ "$(psql_as shop_copy "SHOW timezone")" = Asia/Tokyo ] || fail "the database's setting did not follow"

echo "screenshots: $SHOTS"
ls "$SHOTS"
echo "PASS dashboard"
