# Helpers for the end-to-end tests: the three binaries as separate processes,
# real servers from tests/fixtures, everything on 127.0.0.1 with free ports,
# everything stopped and removed on exit.
set -euo pipefail

BIN=${DBDUMP_BIN:?DBDUMP_BIN must point at the build directory}
FIXTURES=${DBDUMP_FIXTURES:?DBDUMP_FIXTURES must point at tests/fixtures}
T=$(mktemp -d /tmp/dbdump-e2e.XXXXXX)
chmod 755 "$T"
PIDS=()
PG_DIRS=()
MY_DIRS=()

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for d in "${PG_DIRS[@]}"; do bash "$FIXTURES/postgres.sh" stop "$d" || true; done
  for d in "${MY_DIRS[@]}"; do bash "$FIXTURES/mariadb.sh" stop "$d" || true; done
  declare -F stop_s3_all >/dev/null && stop_s3_all
  if [ "$rc" != 0 ]; then
    echo "--- controller log"; tail -n 30 "$T/controller.log" 2>/dev/null || true
    echo "--- agent log"; tail -n 30 "$T/agent.log" 2>/dev/null || true
  fi
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_postgres NAME: starts a server in $T/NAME; sets PG_PORT and PG_PASSFILE.
start_postgres() {
  local d="$T/$1"
  PG_PORT=$(bash "$FIXTURES/postgres.sh" start "$d")
  PG_DIRS+=("$d")
  PG_PASSFILE="$d/password"
}

# psql_as DB SQL: runs SQL as the fixture's superuser (the test's own client).
psql_as() {
  PGPASSWORD=$(cat "$PG_PASSFILE") psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
    -U dbdump -d "$1" -tA -c "$2"
}

# start_mariadb NAME: starts a MariaDB server in $T/NAME; sets MY_PORT,
# MY_PASSFILE and MY_CNF (the test's own client options, mode 0600).
# pg_dump_running DBNAME: a pg_dump of DBNAME talking to this test's PostgreSQL
# (PGPORT in its environment) still runs. Tests run side by side and several dump
# a database with the same name, so the name alone would see another test's dump.
pg_dump_running() {
  local p
  for p in $(pgrep -f "pg_dump.*dbname='$1'"); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "PGPORT=$PG_PORT" && return 0
  done
  return 1
}

start_mariadb() {
  local d="$T/$1"
  MY_PORT=$(bash "$FIXTURES/mariadb.sh" start "$d")
  MY_DIRS+=("$d")
  MY_PASSFILE="$d/password"
  MY_CNF="$T/$1-client.cnf"
  (umask 077; printf '[client]\ndefault-character-set=utf8mb4\nhost=127.0.0.1\nport=%s\nuser=dbdump\npassword="%s"\n' \
    "$MY_PORT" "$(cat "$MY_PASSFILE")" > "$MY_CNF")
}

# mysql_as DB SQL: runs SQL as the fixture's user; rows tab-separated.
mysql_as() { mariadb --defaults-file="$MY_CNF" -N -B -D "$1" -e "$2"; }

CTL_PORT=$(free_port)
AGENT_PORT=$(free_port)
export DBDUMP_CONTROLLER=127.0.0.1:$CTL_PORT
# dbdumpctl's CA certificate and API token live here (as in ~/.config/dbdump).
export DBDUMP_CONFIG_DIR=$T/cli

# The secure path, as a user takes it: the controller makes its CA and a
# first admin token on first start (in its state directory, $T/state);
# dbdumpctl trusts that CA and uses the token; agents enroll with a join
# token the first time they start.
start_controller() {
  "$BIN/dbdump-controller" --listen=127.0.0.1:$CTL_PORT --store="$T/controller.db" \
    --state_dir="$T/state" --heartbeat_interval_s=1 --reattach_timeout_s="${REATTACH_S:-10}" \
    ${CONTROLLER_FLAGS:-} \
    >>"$T/controller.log" 2>&1 &
  CONTROLLER_PID=$!
  PIDS+=("$CONTROLLER_PID")
  use_controller_credentials
  wait_for "controller to listen" ctl agent list
}

# use_controller_credentials: points dbdumpctl at the controller's CA and,
# after its first start, its first admin token.
use_controller_credentials() { trust_controller "$T/state" "$DBDUMP_CONFIG_DIR"; }

# trust_controller STATE_DIR CONFIG_DIR: dbdumpctl run with
# DBDUMP_CONFIG_DIR=CONFIG_DIR trusts the CA of the controller whose
# --state_dir is STATE_DIR and, unless it has one, uses its first admin token.
trust_controller() {
  wait_for "controller's CA" test -s "$1/pki/ca.pem"
  mkdir -p -m 700 "$2"
  cp "$1/pki/ca.pem" "$2/ca.pem"
  if [ ! -s "$2/token" ]; then
    wait_for "first admin token" test -s "$1/admin.token"
    install -m 600 "$1/admin.token" "$2/token"
  fi
}

# enroll NAME [CTL...]: a join token for agent NAME through CTL (default
# ctl); exports DBDUMP_JOIN_TOKEN and sets JOIN_FLAGS, the agent's flags to
# redeem it. Unset DBDUMP_JOIN_TOKEN once the agent has started.
enroll() {
  local name=$1 enrolled
  shift
  enrolled=$("${@:-ctl}" --output=json agent enroll "$name")
  export DBDUMP_JOIN_TOKEN=$(echo "$enrolled" | json_field 'd["join_token"]')
  JOIN_FLAGS=(--join=env:DBDUMP_JOIN_TOKEN
              --ca-fingerprint="$(echo "$enrolled" | json_field 'd["ca_fingerprint"]')")
}

# start_agent: agent-1 on $AGENT_PORT; enrolls it on its first start.
start_agent() {
  JOIN_FLAGS=()
  [ -s "$T/agent-work/tls/agent.pem" ] || enroll agent-1
  "$BIN/dbdump-agent" --name=agent-1 --listen=127.0.0.1:$AGENT_PORT \
    --controller=127.0.0.1:$CTL_PORT --work_dir="$T/agent-work" "${JOIN_FLAGS[@]}" ${AGENT_FLAGS:-} \
    >>"$T/agent.log" 2>&1 &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
  unset DBDUMP_JOIN_TOKEN
}

ctl() { "$BIN/dbdumpctl" "$@"; }

# wait_for DESCRIPTION COMMAND...: retries for up to 20 s.
wait_for() {
  local what=$1; shift
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "timed out waiting for $what"
}

agent_online() { ctl --output=json agent list | grep -q '"online": true'; }

# expect_error EXPECTED_TEXT COMMAND...: the command must fail and say EXPECTED_TEXT.
expect_error() {
  local want=$1; shift
  local out
  if out=$("$@" 2>&1); then fail "expected failure of: $* (got: $out)"; fi
  echo "$out" | grep -qi -- "$want" || fail "error of '$*' does not mention '$want': $out"
  [ "$(echo "$out" | wc -l)" -le 2 ] || fail "error of '$*' is not one clear line: $out"
  echo "   rejected as expected: $out"
}

json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# expect_job_failure EXPECTED_TEXT COMMAND...: a --wait job must end failed
# (exit 1) with EXPECTED_TEXT in its final report.
expect_job_failure() {
  local want=$1; shift
  local out
  if out=$("$@" 2>&1); then fail "expected the job to fail: $* (got: $out)"; fi
  echo "$out" | tail -n 1 | grep -qi -- "$want" || fail "job failure of '$*' does not end with '$want': $out"
  echo "   job failed as expected: $(echo "$out" | tail -n 1)"
}

# start_s3 KIND NAME: starts tests/fixtures/KIND.sh (moto or swift) in $T/NAME.
start_s3() {
  local d="$T/$2"
  bash "$FIXTURES/$1.sh" start "$d" >/dev/null
  S3_DIRS+=("$1:$d")
}
S3_DIRS=()
stop_s3_all() { for e in "${S3_DIRS[@]}"; do bash "$FIXTURES/${e%%:*}.sh" stop "${e#*:}" || true; done; }

# grow_catalogue SEED_BACKUP_ID N: copies of a real backup's row (and its
# job's), with new ids a minute apart from 2024-01-01, written beside the
# running controller in one SQLite transaction until the catalogue holds N.
grow_catalogue() {
  local have seed_job
  have=$(sqlite3 "$T/controller.db" "SELECT count(*) FROM backups")
  seed_job=$(sqlite3 "$T/controller.db" "SELECT job_id FROM backups WHERE id = '$1'")
  python3 - "$have" "$2" "$1" "$seed_job" <<'PY' | sqlite3 "$T/controller.db"
import sys, datetime
have, want, seed, seed_job = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
print(".timeout 10000")
print("BEGIN;")
print(f"CREATE TEMP TABLE tj AS SELECT * FROM jobs WHERE id = '{seed_job}';")
print(f"CREATE TEMP TABLE tb AS SELECT * FROM backups WHERE id = '{seed}';")
start = datetime.datetime(2024, 1, 1)
for i in range(have, want):
    at = start + datetime.timedelta(minutes=i)
    bid = at.strftime("%Y%m%dT%H%M%SZ") + f"-{i:08x}"
    jid = f"job-bench-{i}"
    ts = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"UPDATE tj SET id = '{jid}', backup_id = '{bid}', created_at = '{ts}';"
          f"INSERT INTO jobs SELECT * FROM tj;"
          f"UPDATE tb SET id = '{bid}', job_id = '{jid}', created_at = '{ts}';"
          f"INSERT INTO backups SELECT * FROM tb;")
print("COMMIT;")
PY
}
