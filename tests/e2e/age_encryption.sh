#!/usr/bin/env bash
# End to end: a SQLite database backed up encrypted (age format) to two
# recipients through controller and agent; the standard `age` tool decrypts
# what was stored; restore needs the identity (given by reference, on the
# agent's host) and refuses a missing or wrong one with nothing restored;
# verify works without it; the identity never reaches the controller's store,
# the logs, events, audit entries, or any process's command line or
# environment.
source "$(dirname "$0")/lib.sh"
command -v age >/dev/null || fail "the age tool is missing: apt-get install age"

step "keys: the team's identity and an escrow identity"
umask 077
age-keygen -o "$T/team.key" 2>/dev/null
age-keygen -o "$T/escrow.key" 2>/dev/null
age-keygen -o "$T/stranger.key" 2>/dev/null
TEAM=$(age-keygen -y "$T/team.key")
ESCROW=$(age-keygen -y "$T/escrow.key")
SECRET=$(grep '^AGE-SECRET-KEY-1' "$T/team.key")
grep '^AGE-SECRET-KEY-1' "$T/escrow.key" >> "$T/secrets"
echo "$SECRET" >> "$T/secrets"
umask 022

step "start controller and agent"
sqlite3 "$T/app.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT, data BLOB);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000)
  INSERT INTO notes(body, data) SELECT 'note ' || x, randomblob(64) FROM c;" >/dev/null
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add local --kind=local --path="$T/store"

step "bad recipients are refused at databases add, and nothing is added"
BAD=${TEAM%?}$( [ "${TEAM: -1}" = q ] && echo p || echo q )
expect_error "checksum" ctl database add app --engine=sqlite --agent=agent-1 --storage=local \
  --path="$T/app.db" --encrypt-to="$BAD"
expect_error "age recipient" ctl database add app --engine=sqlite --agent=agent-1 --storage=local \
  --path="$T/app.db" --encrypt-to=age1notakey
OUT=$(ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db" \
  --encrypt-to="$(cat "$T/secrets" | head -1)" 2>&1) && fail "an identity was taken as a recipient"
echo "$OUT" | grep -q "AGE-SECRET-KEY" && fail "the refusal repeats the identity: $OUT"
expect_error "exclude each other" ctl database add app --engine=sqlite --agent=agent-1 --storage=local \
  --path="$T/app.db" --encrypt-to="$TEAM" --encrypt-passphrase-ref="file:$T/pass"
[ "$(ctl --output=json database list | json_field 'len(d.get("databases", []))')" = 0 ] \
  || fail "a refused database was added"

step "encrypted backup to two recipients"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db" \
  --encrypt-to="$TEAM" --encrypt-to="$ESCROW"
ctl database show app | grep -q "age to 2 recipients" || fail "database show lacks the encryption"
ctl backup run app --wait
ID=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')
ctl backup show "$ID" | tee "$T/show.txt"
grep -q "encryption: *age, 2 recipients: $TEAM, $ESCROW" "$T/show.txt" || fail "backup show lacks the encryption"

step "the age tool alone decrypts the stored dump to the manifest's raw checksum"
DIR="$T/store/app/$ID"
DUMP=$(json_field 'd["dump_object"]' < "$DIR/manifest.json")
case "$DUMP" in *.age) ;; *) fail "dump object $DUMP has no .age suffix" ;; esac
[ "$(head -c 21 "$DIR/$DUMP")" = "age-encryption.org/v1" ] || fail "the stored dump is not an age file"
RAW_SHA=$(json_field 'd["raw_sha256"]' < "$DIR/manifest.json")
[ "$(sha256sum < "$DIR/$DUMP" | cut -d' ' -f1)" = "$(json_field 'd["stored_sha256"]' < "$DIR/manifest.json")" ] \
  || fail "stored sha256 mismatch"
for key in team escrow; do
  [ "$(age -d -i "$T/$key.key" "$DIR/$DUMP" | zstd -dc | sha256sum | cut -d' ' -f1)" = "$RAW_SHA" ] \
    || fail "age -d with the $key identity does not give the raw dump"
done
age -d -i "$T/team.key" "$DIR/$DUMP" | zstd -dc > "$T/by-hand.db"
[ "$(sqlite3 "$T/by-hand.db" 'SELECT count(*) FROM notes')" = 20000 ] || fail "the hand-decrypted dump lacks rows"
age -d -i "$T/stranger.key" "$DIR/$DUMP" > /dev/null 2>&1 && fail "a stranger's identity decrypted the dump"
grep -q AGE-SECRET-KEY "$DIR/manifest.json" && fail "the manifest holds a secret"

step "verify works without the identity"
ctl backup verify "$ID" | tee "$T/verify.txt"
grep -q "stored sha256 matches" "$T/verify.txt" || fail "verify does not say what it checked"

# Every process's command line and environment is searched for the
# identities while the restores run (the search reads its patterns from a
# file, so it holds no secret in its own arguments).
python3 - "$T" <<'PY' &
import os, sys, time
t = sys.argv[1]
secrets = [l.strip().encode() for l in open(f"{t}/secrets") if l.strip()]
passes = 0
while not os.path.exists(f"{t}/stop-watch"):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for f in ("cmdline", "environ"):
            try:
                data = open(f"/proc/{pid}/{f}", "rb").read()
            except OSError:
                continue
            if any(s in data for s in secrets):
                cmd = open(f"/proc/{pid}/cmdline", "rb").read()[:80].replace(b"\0", b" ")
                open(f"{t}/leaks", "a").write(f"/proc/{pid}/{f}: {cmd.decode(errors='replace')}\n")
    passes += 1
    open(f"{t}/watch-passes", "w").write(f"{passes}\n")
    time.sleep(0.02)
PY
WATCH_PID=$!
PIDS+=("$WATCH_PID")
wait_for "the process watch" test -s "$T/watch-passes"

step "restore without, with a wrong, and with an open identity: refused, nothing restored"
# Without one the controller refuses before a job is made; the agent's own
# refusal is what the wrong and the open identity below meet.
jobs_count() { ctl --output=json job list --limit=1000 | json_field 'len(d.get("jobs", []))'; }
before=$(jobs_count)
expect_error "is encrypted with age (2 recipients).*--identity" \
  ctl restore "$ID" --target="$T/r0.db" --wait
expect_error "is encrypted with age" ctl backup test-restore "$ID" --wait
[ "$(jobs_count)" = "$before" ] || fail "a restore without the identity was queued"
[ ! -e "$T/r0.db" ] || fail "a restore without the identity created its target"
expect_job_failure "nothing was restored" ctl restore "$ID" --target="$T/r1.db" \
  --identity="file:$T/stranger.key" --wait
[ ! -e "$T/r1.db" ] || fail "a restore with a wrong identity created its target"
cp "$T/team.key" "$T/open.key"; chmod 644 "$T/open.key"
expect_job_failure "chmod 600" ctl restore "$ID" --target="$T/r2.db" --identity="file:$T/open.key" --wait
[ ! -e "$T/r2.db" ] || fail "a restore with a readable identity file created its target"

step "restore, dry run and test restore with the identity"
ctl restore "$ID" --dry-run --identity="file:$T/team.key" --wait
ctl restore "$ID" --target="$T/restored.db" --identity="file:$T/escrow.key" --wait
[ "$(sqlite3 "$T/app.db" .dump | sha256sum)" = "$(sqlite3 "$T/restored.db" .dump | sha256sum)" ] \
  || fail "restored SQLite content differs"

touch "$T/stop-watch"
wait "$WATCH_PID" || true
[ "$(cat "$T/watch-passes")" -ge 5 ] || fail "the process watch did not run during the restores"
[ ! -s "$T/leaks" ] || fail "an identity appeared in a process: $(cat "$T/leaks")"

step "an identity given in place of its reference is refused without repeating it"
# (after the process watch: this puts the secret in dbdumpctl's own argv,
# the mistake the check is there to catch)
OUT=$(ctl restore "$ID" --target="$T/r3.db" --identity="$SECRET" 2>&1) && fail "a literal identity was accepted"
echo "$OUT" | grep -q -- "--identity must be" || fail "unclear refusal: $OUT"
echo "$OUT" | grep -qF -- "$SECRET" && fail "the refusal repeats the identity"
[ ! -e "$T/r3.db" ] || fail "a refused restore created its target"

step "no identity in the store, the logs, events or audit entries"
ctl --output=json audit list > "$T/audit.json"
ctl --output=json job list > "$T/jobs.json"
for f in "$T/controller.log" "$T/agent.log" "$T/controller.db"* "$T/audit.json" "$T/jobs.json"; do
  if grep -aqF -f "$T/secrets" "$f"; then fail "an identity found in $f"; fi
done
if grep -raqF -f "$T/secrets" "$T/agent-work"; then fail "an identity left in the agent's work directory"; fi
echo "PASS"
