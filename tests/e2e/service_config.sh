#!/usr/bin/env bash
# End to end: the daemons as a service runs them. --version; a TOML config
# file (every flag a key, tables group them, the command line overrides
# it); bad config refused naming file and line; JSON log lines with the job
# and database of an agent's job; SIGHUP reads the file again: the log
# level and notification settings change while running (a webhook that was
# not configured receives the next failure), other changes are named for a
# restart, and the daemons stay up.
source "$(dirname "$0")/lib.sh"

step "--version on both daemons"
"$BIN/dbdump-controller" --version | grep -qx "dbdump-controller [0-9][0-9.]*" || fail "controller --version"
"$BIN/dbdump-agent" --version | grep -qx "dbdump-agent [0-9][0-9.]*" || fail "agent --version"

step "a bad config file is refused, naming the file and line"
printf 'listen = "127.0.0.1:1"\nheartbeat-interval-s = 1\nno_such_flag = true\n' > "$T/bad.toml"
if "$BIN/dbdump-controller" --config="$T/bad.toml" > "$T/bad.out" 2>&1; then fail "bad config accepted"; fi
grep -q "bad.toml: unknown flag --no-such-flag" "$T/bad.out" || fail "unknown key not named: $(cat "$T/bad.out")"
printf 'listen = "127.0.0.1:1\n' > "$T/broken.toml"
if "$BIN/dbdump-controller" --config="$T/broken.toml" > "$T/broken.out" 2>&1; then fail "broken TOML accepted"; fi
grep -q "broken.toml:1:" "$T/broken.out" || fail "TOML error without its line: $(cat "$T/broken.out")"
if "$BIN/dbdump-controller" --config=relative.toml > "$T/rel.out" 2>&1; then fail "relative --config accepted"; fi
grep -q "absolute path" "$T/rel.out" || fail "relative --config: $(cat "$T/rel.out")"

step "controller and agent from config files, logging JSON"
# A webhook receiver that no setting names yet.
python3 "$FIXTURES/notify_receiver.py" http --out "$T/hook.jsonl" > "$T/hook.port" &
PIDS+=("$!")
wait_for "webhook receiver" grep -q PORT "$T/hook.port"
HOOK_PORT=$(awk '{print $2}' "$T/hook.port")
(umask 077; echo "http://127.0.0.1:$HOOK_PORT/hook" > "$T/hook.url")
cat > "$T/controller.toml" <<TOML
# The command line (lib.sh's --listen, --store, ...) overrides these.
log-format = "json"
log_level = "info"
schedule_tick_ms = 200
TOML
cat > "$T/agent.toml" <<TOML
log_format = "json"
[compression]
workers = "0"
TOML
# systemd's notification socket, as a Type=notify unit gets it.
python3 "$FIXTURES/notify_socket.py" "$T/notify.sock" "$T/notify.txt" > "$T/notify.ready" &
PIDS+=("$!")
wait_for "notify socket" grep -q READY "$T/notify.ready"
CONTROLLER_FLAGS="--config=$T/controller.toml"
AGENT_FLAGS="--config=$T/agent.toml"
export NOTIFY_SOCKET=$T/notify.sock
start_controller
unset NOTIFY_SOCKET
start_agent
wait_for "agent to register" agent_online
ready() { grep -q "^READY=1" "$T/notify.txt" 2>/dev/null; }
wait_for "READY=1 from the controller" ready
python3 - "$T/controller.log" <<'PY' || fail "controller log lines are not JSON"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "no log lines"
for l in lines:
    d = json.loads(l)
    assert set(d) >= {"time", "level", "component", "message"}, d
PY
ctl storage add local --kind=local --path="$T/store"
sqlite3 "$T/app.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
ctl backup run app --wait >/dev/null
python3 - "$T/agent.log" <<'PY' || fail "the agent's job lines lack job_id and database"
import json, sys
found = False
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d.get("database") == "app" and d.get("job_id", "").startswith("job-") and "backup" in d["message"]:
        found = True
assert found, "no line of the backup job with its fields"
PY

step "SIGHUP: logging and notifications change while running, the rest waits for a restart"
cat > "$T/controller.toml" <<TOML
log_format = "text"
log_level = "debug"
schedule_tick_ms = 300
[notify]
webhook_url_file = "$T/hook.url"
events = ["failure"]
TOML
kill -HUP "$CONTROLLER_PID"
reloaded() { grep -q "SIGHUP: read $T/controller.toml again; reloaded: logging (debug, text), notifications; changed, applied at the next restart: --schedule-tick-ms" "$T/controller.log"; }
wait_for "the controller to reload" reloaded
kill -0 "$CONTROLLER_PID" || fail "SIGHUP stopped the controller"
reload_notified() { grep -A1 "^RELOADING=1" "$T/notify.txt" | grep -q "^READY=1"; }
wait_for "RELOADING=1 then READY=1 around the reload" reload_notified
# A failing backup now reaches the webhook nobody configured at start.
rm "$T/app.db"
ctl backup run app --wait >/dev/null 2>&1 || true
notified() { grep -q 'failure' "$T/hook.jsonl" 2>/dev/null; }
wait_for "the failure notification through the reloaded settings" notified
# Text again, as the file now says.
tail -n 1 "$T/controller.log" | grep -q '^20[0-9-]*T[0-9:]*Z [A-Z]* ' || fail "log lines are not text after the reload"

step "a file that does not parse on SIGHUP changes nothing; a bad value is refused"
printf 'log_level = "debug\n' > "$T/controller.toml"
kill -HUP "$CONTROLLER_PID"
not_applied() { grep -q "controller.toml:1:.*; the running settings stay" "$T/controller.log"; }
wait_for "the broken file to be refused" not_applied
printf 'log_level = "loud"\n[notify]\nwebhook_url_file = "%s"\nevents = ["failure"]\n' "$T/hook.url" > "$T/controller.toml"
kill -HUP "$CONTROLLER_PID"
bad_level() { grep -q 'SIGHUP: unknown log level "loud".*logging stays as it was' "$T/controller.log"; }
wait_for "the refused level to be logged" bad_level
kill -0 "$CONTROLLER_PID" || fail "a bad reload stopped the controller"
kill -HUP "$AGENT_PID"
agent_reloaded() { grep -q "SIGHUP: read $T/agent.toml again; reloaded: nothing" "$T/agent.log"; }
wait_for "the agent to reload" agent_reloaded
kill -0 "$AGENT_PID" || fail "SIGHUP stopped the agent"
kill -TERM "$CONTROLLER_PID"
stopping() { grep -q "^STOPPING=1" "$T/notify.txt"; }
wait_for "STOPPING=1 on SIGTERM" stopping
echo "PASS"
