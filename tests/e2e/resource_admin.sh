#!/usr/bin/env bash
# The admin API's resource verbs with the real binaries: a backup deleted
# through its agent leaves no object in the store and stays catalogued as
# deleted (a second delete is refused); a database moved to another storage
# backs up there while its old backups stay where they were; a storage
# holding backups keeps its path, one without changes it; an agent still backing up a
# database is not removed, and the error says how to move it.
source "$(dirname "$0")/lib.sh"

sqlite3 "$T/app.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
  INSERT INTO notes(body) VALUES ('one'), ('two');" >/dev/null
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add first --kind=local --path="$T/first"
ctl storage add second --kind=local --path="$T/second"
ctl database add app --engine=sqlite --agent=agent-1 --storage=first --path="$T/app.db"
backup_state() { ctl --output=json backup show "$1" | json_field 'd["backup"]["state"]'; }
# Backs up app and prints the new backup's id.
backup_app() { ctl --output=json backup run app --wait | json_field 'd["backup_id"]'; }

step "a backup deleted through its agent: no object left, catalogued as deleted"
B1=$(backup_app)
[ -s "$T/first/app/$B1/manifest.json" ] || fail "no manifest for $B1"
out=$(ctl backup delete "$B1")
echo "$out" | grep -q "backup $B1 of app deleted (2 objects removed from storage first)" \
  || fail "delete said: $out"
[ -z "$(find "$T/first/app/$B1" -type f 2>/dev/null)" ] || fail "objects left: $(find "$T/first" -type f)"
[ "$(backup_state "$B1")" = BACKUP_STATE_DELETED ] || fail "$B1 is $(backup_state "$B1")"
expect_error "was already deleted at" ctl backup delete "$B1"
expect_error "unknown backup" ctl backup delete 20260101T000000Z-00000000
grep -q "BackupService/DeleteBackup" <(ctl --output=json audit list) || fail "the delete was not audited"

step "a database moved to another storage backs up there; its old backups stay"
B2=$(backup_app)
ctl database update app --storage=second | grep -q 'database "app" updated: storage' \
  || fail "update did not say what changed"
[ "$(ctl --output=json database show app | json_field 'd["database"]["storage"]')" = second ] \
  || fail "the database did not move"
B3=$(backup_app)
[ -s "$T/second/app/$B3/manifest.json" ] || fail "the new backup is not in the new storage"
[ -s "$T/first/app/$B2/manifest.json" ] || fail "the old backup left its storage"
[ "$(ctl --output=json backup show "$B2" | json_field 'd["backup"]["storage"]')" = first ] \
  || fail "the old backup's catalogue entry changed storage"
expect_error "unknown agent\|is not registered" ctl database update app --agent=nope
expect_error "holds 1 catalogued backup where" ctl storage update first --path="$T/elsewhere"

step "a storage without backups changes where it points"
ctl storage add third --kind=local --path="$T/third"
ctl storage update third --prefix=nightly | grep -q 'storage "third" updated: prefix' \
  || fail "storage update did not say what changed"
[ "$(ctl --output=json storage show third | json_field 'd["storage"]["prefix"]')" = nightly ] \
  || fail "the prefix did not change"
ctl database update app --storage=third > /dev/null
[ -s "$T/third/nightly/app/$(backup_app)/manifest.json" ] || fail "the backup is not under the new prefix"

step "an agent that backs up a database is not removed"
expect_error "database update NAME --agent=OTHER" ctl agent remove agent-1
agent_online || fail "the refused removal touched the agent"
echo "PASS"
