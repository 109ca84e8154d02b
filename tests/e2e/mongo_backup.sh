#!/usr/bin/env bash
# End to end against a real MongoDB wire-protocol server (FerretDB) with the
# real mongodump and mongorestore: the agent offers mongodb only with its
# tools installed; back up through controller, agent and dbdumpctl; the
# archive read by mongorestore itself; restore into another database and
# compare with the test's own client (Debian's pymongo; only _id indexes, as
# FerretDB cannot take secondary ones back from mongorestore: see README);
# test restore with document counts, dry run, clean only when asked; a wrong
# password refused in one line; no secret in any log or the store.
source "$(dirname "$0")/lib.sh"

# The test's own MongoDB client.
PY=/usr/bin/python3
"$PY" -c "import pymongo" 2>/dev/null || fail "python3-pymongo is not installed: run deploy/install-deps.sh"
TOOLS=$(bash "$FIXTURES/ferretdb.sh" tools)
[ -x "$TOOLS/mongorestore" ] || fail "$TOOLS/mongorestore is missing: run deploy/install-deps.sh"
# The agent looks for the tools where packages install them.
for tool in mongodump mongorestore; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH: run deploy/install-deps.sh"
done

step "start FerretDB, controller and agent"
MONGO_PORT=$(bash "$FIXTURES/ferretdb.sh" start "$T/ferret")
PIDS+=("$(cat "$T/ferret/pid")")
MONGO_PASSFILE=$T/ferret/password
# mongo_py CODE: runs Python with `c`, a client logged in as the fixture's user.
mongo_py() {
  "$PY" - "$MONGO_PORT" "$MONGO_PASSFILE" <<EOF
import sys, pymongo, bson, datetime
from bson.json_util import dumps, CANONICAL_JSON_OPTIONS
c = pymongo.MongoClient("127.0.0.1", int(sys.argv[1]), username="backup",
                        password=open(sys.argv[2]).read().strip(), authSource="admin",
                        serverSelectionTimeoutMS=5000)
def snapshot(db):
    out = []
    for name in sorted(c[db].list_collection_names()):
        if name.startswith("system."): continue
        idx = sorted((i["name"], str(i["key"]), bool(i.get("unique"))) for i in c[db][name].list_indexes())
        out.append(name + " " + str(idx))
        out += [dumps(d, json_options=CANONICAL_JSON_OPTIONS) for d in c[db][name].find().sort("_id", 1)]
    return "\n".join(out)
$1
EOF
}
mongo_py '
shop = c.shop
shop.customers.insert_many([
    {"_id": 1, "name": "Zoë ünïcødé 😀", "tags": ["a", "b"], "address": {"city": "Zürich", "zip": 8000},
     "photo": bson.Binary(b"\x00\xff\x00\xff"), "since": datetime.datetime(2020, 1, 2, 3, 4, 5, 6000)},
    {"_id": 2, "name": "O\"Brien; db.dropDatabase()", "note": None, "big": 2**40},
    {"_id": 3, "name": "large", "text": "x" * 2000000}])
shop.orders.insert_many([{"_id": i, "customer": 1 + i % 3, "total": i * 1.5} for i in range(3000)])
c.crm.people.insert_one({"_id": 1, "name": "untouched"})
'
start_controller
start_agent
wait_for "agent to register" agent_online
grep -q "engine ENGINE_MONGODB available (tool 100\." "$T/agent.log" || fail "the agent did not find the MongoDB tools"
ctl agent list | tee "$T/agents.txt"
grep -q "mongodb" "$T/agents.txt" || fail "agent list does not show mongodb"
# With the version of the tools the agent found on its host.
grep -qE "mongodb \(100\.[0-9]+" "$T/agents.txt" || fail "agent list does not show mongodump's version"
ctl storage add local --kind=local --path="$T/store"
MONGO_FLAGS=(--engine=mongodb --agent=agent-1 --storage=local --host=127.0.0.1 --port="$MONGO_PORT"
             --user=backup --password-ref="file:$MONGO_PASSFILE")

step "bad input is refused in one line"
echo "wrong-password" > "$T/wrong.pass"; chmod 600 "$T/wrong.pass"
expect_error "authentication failed" ctl database add bad --engine=mongodb --agent=agent-1 \
  --storage=local --host=127.0.0.1 --port="$MONGO_PORT" --user=backup --dbname=shop \
  --password-ref="file:$T/wrong.pass"
expect_error "globals" ctl database add bad "${MONGO_FLAGS[@]}" --dbname=shop --globals

step "back up; mongorestore reads the archive"
ctl database add shop "${MONGO_FLAGS[@]}" --dbname=shop
ctl database show shop | tee "$T/db.txt"
ctl backup run shop --wait
ID=$(ctl --output=json backup list --database=shop | json_field 'd["backups"][0]["id"]')
ctl backup show "$ID" | tee "$T/show.txt"
grep -q "mongodump archive" "$T/show.txt" || fail "backup show does not name the format"
zstd -dc "$T/store/shop/$ID/dump.archive.zst" > "$T/dump.archive"
[ "$(sha256sum < "$T/dump.archive" | cut -d' ' -f1)" = \
  "$(json_field 'd["raw_sha256"]' < "$T/store/shop/$ID/manifest.json")" ] || fail "raw sha256 differs"
(umask 077; printf 'password: "%s"\n' "$(cat "$MONGO_PASSFILE")" > "$T/tool.yaml")
"$TOOLS/mongorestore" --config="$T/tool.yaml" --uri="mongodb://127.0.0.1:$MONGO_PORT/?authSource=admin" \
  --username=backup --archive="$T/dump.archive" --dryRun -v 2>"$T/dryrun.log" \
  || { cat "$T/dryrun.log"; fail "mongorestore cannot read the archive"; }
grep -q "shop.orders" "$T/dryrun.log" || fail "the archive does not hold shop.orders"

step "restore into another database and compare"
ctl restore "$ID" --target=shop_copy --wait
mongo_py 'print(snapshot("shop"))' > "$T/shop.txt"
mongo_py 'print(snapshot("shop_copy"))' > "$T/copy.txt"
grep -q "\"city\"" "$T/shop.txt" && [ "$(wc -l < "$T/shop.txt")" -gt 3000 ] || fail "the snapshot misses the documents"
cmp -s "$T/shop.txt" "$T/copy.txt" || { diff "$T/shop.txt" "$T/copy.txt" | head -20; fail "restored database differs"; }

step "test restore and dry run"
ctl backup test-restore "$ID" --wait | tee "$T/tr.txt"
grep -q "test restore of backup $ID passed" "$T/tr.txt" || fail "test restore did not pass"
grep -q "ok *shop.orders: 3000 rows (3000 at backup time)" "$T/tr.txt" || fail "test restore did not count shop.orders"
ctl backup show "$ID" > "$T/show.txt"
grep -q "test restore: *20.*: passed" "$T/show.txt" || fail "test restore not recorded"
[ -z "$(mongo_py 'print(" ".join(d for d in c.list_database_names() if d.startswith("dbdump_scratch_")))')" ] \
  || fail "scratch database left"
ctl restore "$ID" --dry-run --wait | tee "$T/dry.txt"
grep -q "dry run of backup $ID passed" "$T/dry.txt" || fail "dry run failed"

step "the original: refused while it holds the documents, replaced with --clean"
mongo_py 'c.shop.orders.delete_many({"_id": {"$gte": 10}}); c.shop.orders.insert_one({"_id": 5000})'
expect_job_failure "clean" ctl restore "$ID" --wait
ctl restore "$ID" --clean --wait
[ "$(mongo_py 'print(c.shop.orders.count_documents({}))')" = 3000 ] || fail "--clean did not restore"
[ "$(mongo_py 'print(c.crm.people.find_one()["name"])')" = untouched ] || fail "another database changed"

step "no secret in logs or the store"
PW=$(cat "$MONGO_PASSFILE")
if grep -rqF -- "$PW" "$T"/*.log "$T/controller.db"* 2>/dev/null; then fail "password leaked"; fi
{ ls -A "$T/agent-work" | grep -vE '^(journal|tls|writes)$'; ls -A "$T/agent-work/writes"; } > "$T/leftover.txt" || true
[ ! -s "$T/leftover.txt" ] || fail "files left in the agent's work directory: $(cat "$T/leftover.txt")"
echo "PASS"
