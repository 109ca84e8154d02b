#!/usr/bin/env bash
# Quickstart: installs what is needed, builds, starts a controller and an
# agent on loopback the secure way (the controller makes its CA and a first
# admin token; the agent enrolls with a one-time join token and gets its
# certificate; every call is mutual TLS or TLS with a token), creates a small
# SQLite database, backs it up to a local directory, lists the backup,
# restores it to a new file and shows that the content matches. It leaves
# the controller and the agent running and prints the dashboard's URL and how
# to stop them. Everything lives in $QUICKSTART_DIR (default
# /tmp/dbdump-quickstart); a second run stops the first one's processes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${QUICKSTART_DIR:-/tmp/dbdump-quickstart}

echo "==> installing dependencies and building (first build takes a few minutes)"
bash "$root/deploy/install-deps.sh" --runtime
DBDUMP_BUILD_TESTS=OFF bash "$root/deploy/build.sh" --target dbdump-controller dbdump-agent dbdumpctl
bin="$root/build"

# A previous quickstart's controller and agent are stopped before its
# directory is replaced.
if [ -f "$dir/stop.sh" ]; then bash "$dir/stop.sh" >/dev/null 2>&1 || true; fi
rm -rf "$dir"
mkdir -p "$dir"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ctl_port=$(free_port)
agent_port=$(free_port)
http_port=$(free_port)
export DBDUMP_CONTROLLER=127.0.0.1:$ctl_port
# dbdumpctl's CA certificate and API token (normally ~/.config/dbdump).
export DBDUMP_CONFIG_DIR=$dir/cli
pids=()
# Stopped if the quickstart fails; left running when it succeeds.
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
wait_for_file() { for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.2; done; echo "quickstart: $1 did not appear" >&2; exit 1; }

echo "==> starting dbdump-controller on 127.0.0.1:$ctl_port (TLS; its CA and first admin token in $dir/state)"
echo "    and its HTTPS gateway and dashboard on 127.0.0.1:$http_port"
"$bin/dbdump-controller" --listen="127.0.0.1:$ctl_port" --store="$dir/controller.db" \
  --state_dir="$dir/state" --http_listen="127.0.0.1:$http_port" >"$dir/controller.log" 2>&1 &
pids+=($!)
wait_for_file "$dir/state/admin.token"
echo "==> dbdumpctl trusts the controller's CA and uses the first admin token (both in $DBDUMP_CONFIG_DIR)"
mkdir -p -m 700 "$DBDUMP_CONFIG_DIR"
cp "$dir/state/pki/ca.pem" "$DBDUMP_CONFIG_DIR/ca.pem"
install -m 600 "$dir/state/admin.token" "$DBDUMP_CONFIG_DIR/token"
for _ in $(seq 1 100); do "$bin/dbdumpctl" agent list >/dev/null 2>&1 && break; sleep 0.2; done

echo "==> enrolling the agent: a one-time join token, its key made on its host, a certificate from the CA"
echo "\$ dbdumpctl agent enroll local-agent"
enrolled=$("$bin/dbdumpctl" --output=json agent enroll local-agent)
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
fingerprint=$(echo "$enrolled" | field ca_fingerprint)
echo "   CA fingerprint $fingerprint; join token single use, expires $(echo "$enrolled" | field expires_at)"
echo "==> starting dbdump-agent on 127.0.0.1:$agent_port"
DBDUMP_JOIN_TOKEN=$(echo "$enrolled" | field join_token) \
  "$bin/dbdump-agent" --listen="127.0.0.1:$agent_port" --controller="127.0.0.1:$ctl_port" \
  --work_dir="$dir/agent-work" --join=env:DBDUMP_JOIN_TOKEN --ca-fingerprint="$fingerprint" \
  >"$dir/agent.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  "$bin/dbdumpctl" --output=json agent list 2>/dev/null | grep -q '"online": true' && break
  sleep 0.2
done

echo "==> creating a small SQLite database at $dir/shop.db"
sqlite3 "$dir/shop.db" "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, email TEXT);
  CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL, placed TEXT);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000)
  INSERT INTO customers(name, email) SELECT 'customer ' || i, 'c' || i || '@example.com' FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5000)
  INSERT INTO orders(customer_id, total, placed) SELECT 1 + i % 1000, i * 1.5, date('2026-01-01', '+' || (i % 365) || ' days') FROM n;"

run() { echo "\$ dbdumpctl $*"; "$bin/dbdumpctl" "$@"; }
run agent list
run token create backup-operator --role=operator
run storage add local --kind=local --path="$dir/backups"
run database add shop --engine=sqlite --agent=local-agent --storage=local --path="$dir/shop.db"
run backup run shop --wait
run backup list
backup_id=$("$bin/dbdumpctl" --output=json backup list --database=shop |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["backups"][0]["id"])')
run restore "$backup_id" --target="$dir/shop-restored.db" --wait

echo "==> comparing the original and the restored database"
a=$(sqlite3 "$dir/shop.db" .dump | sha256sum | cut -d' ' -f1)
b=$(sqlite3 "$dir/shop-restored.db" .dump | sha256sum | cut -d' ' -f1)
echo "original: $a"
echo "restored: $b"
if [ "$a" != "$b" ]; then echo "quickstart: FAILED, the restored database differs" >&2; exit 1; fi
echo "==> the restored database matches. Backup files: $dir/backups/shop/$backup_id"
ls -l "$dir/backups/shop/$backup_id"
run audit list --limit=5
run audit verify

printf '#!/usr/bin/env bash\n# Stops the quickstart'"'"'s controller and agent.\nkill %s 2>/dev/null || true\n' \
  "${pids[*]}" > "$dir/stop.sh"
trap - EXIT
cat <<DONE

==> dbdump is running.
    Dashboard: https://127.0.0.1:$http_port/
      Sign in with the admin token in $DBDUMP_CONFIG_DIR/token (a secret: cat it, paste it).
      Your browser will warn about the certificate: it comes from this deployment's own
      CA ($dir/state/pki/ca.pem, $fingerprint); import that CA or proceed.
    API:       curl --cacert $dir/state/pki/ca.pem --resolve controller.dbdump:$http_port:127.0.0.1 \\
                 -H "Authorization: Bearer \$(cat $DBDUMP_CONFIG_DIR/token)" https://controller.dbdump:$http_port/v1/backups
    CLI:       DBDUMP_CONTROLLER=$DBDUMP_CONTROLLER DBDUMP_CONFIG_DIR=$DBDUMP_CONFIG_DIR $bin/dbdumpctl backup list
    Logs:      $dir/controller.log, $dir/agent.log
    Stop them: bash $dir/stop.sh
DONE
