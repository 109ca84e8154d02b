#!/usr/bin/env bash
# End to end, the three binaries over TLS: who may call what. Certificates
# come from the controller's own CA (enrollment) and, for the attacks, from
# openssl. Every refusal is checked for its code, for what it left unchanged
# and for its audit entry; the audit chain is verified, then broken; no
# token or key is found in logs, store, audit log or any process's argv.
source "$(dirname "$0")/lib.sh"
PROBE="$BIN/grpc_probe"
CA="$T/state/pki/ca.pem"

# expect_probe WANT ARGS...: grpc_probe's outcome must start with WANT.
expect_probe() {
  local want=$1; shift
  local out
  out=$("$PROBE" "$@")
  case "$out" in
    "$want"*) echo "   $want as expected: ${out:0:140}" ;;
    *) fail "grpc_probe $*: expected $want, got: $out" ;;
  esac
}

step "controller: its CA, certificate and first admin token, all private"
start_controller
for f in state/pki/ca.key state/pki/controller.key state/admin.token controller.db; do
  [ "$(stat -c %a "$T/$f")" = 600 ] || fail "$f is $(stat -c %a "$T/$f"), not 600"
done
[ "$(stat -c %a "$T/state")" = 700 ] || fail "state dir is not 0700"
[ "$(stat -c %a "$T/state/pki")" = 700 ] || fail "pki dir is not 0700"
openssl verify -CAfile "$CA" "$T/state/pki/controller.pem" >/dev/null || fail "controller cert not from its CA"
openssl x509 -in "$T/state/pki/controller.pem" -noout -ext subjectAltName | grep -q 'URI:spiffe://dbdump/controller' ||
  fail "controller certificate lacks its identity"
grep -q "CA fingerprint sha256:" "$T/controller.log" || fail "controller does not log its CA fingerprint"

step "the agent enrolls: its key is made on its host, 0600, and never sent"
start_agent
wait_for "agent to register" agent_online
[ "$(stat -c %a "$T/agent-work/tls/agent.key")" = 600 ] || fail "agent key not 0600"
[ "$(stat -c %a "$T/agent-work/tls")" = 700 ] || fail "agent tls dir not 0700"
openssl verify -CAfile "$CA" "$T/agent-work/tls/agent.pem" >/dev/null || fail "agent cert not from the CA"
openssl x509 -in "$T/agent-work/tls/agent.pem" -noout -ext subjectAltName | grep -q 'URI:spiffe://dbdump/agent/agent-1' ||
  fail "agent certificate lacks its identity"
# The certificate is for the key the agent holds.
[ "$(openssl x509 -in "$T/agent-work/tls/agent.pem" -noout -pubkey)" = "$(openssl pkey -in "$T/agent-work/tls/agent.key" -pubout)" ] ||
  fail "agent certificate is not for the agent's key"

step "a second agent, and a database with a backup"
AGENT2_PORT=$(free_port)
enrolled=$(ctl --output=json agent enroll agent-2)
FINGERPRINT=$(echo "$enrolled" | json_field 'd["ca_fingerprint"]')
AGENT2_TOKEN=$(echo "$enrolled" | json_field 'd["join_token"]')
DBDUMP_JOIN_TOKEN=$AGENT2_TOKEN "$BIN/dbdump-agent" --listen=127.0.0.1:$AGENT2_PORT \
  --controller=127.0.0.1:$CTL_PORT --work_dir="$T/agent2-work" --join=env:DBDUMP_JOIN_TOKEN \
  --ca-fingerprint="$FINGERPRINT" >>"$T/agent2.log" 2>&1 &
PIDS+=("$!")
wait_for "agent-2 to register" sh -c "'$BIN/dbdumpctl' --output=json agent list | grep -q '\"agent-2\"'"
sqlite3 "$T/app.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('secret row');"
ctl storage add local --kind=local --path="$T/store"
ctl database add app --engine=sqlite --agent=agent-2 --storage=local --path="$T/app.db"
ctl backup run app --wait >/dev/null
BACKUP_ID=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')

step "plaintext and foreign clients are refused by the TLS controller"
expect_probe UNAVAILABLE --target=127.0.0.1:$CTL_PORT --plaintext --call=admin.ListBackups
mkdir -p "$T/evil"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/evil/ca.key" \
  -out "$T/evil/ca.pem" -days 10 -subj /CN=evil 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/evil/agent.key" \
  -out "$T/evil/agent.csr" -subj /CN=agent-1 2>/dev/null
printf 'subjectAltName=URI:spiffe://dbdump/agent/agent-1\nextendedKeyUsage=serverAuth,clientAuth\n' > "$T/evil/ext"
openssl x509 -req -in "$T/evil/agent.csr" -CA "$T/evil/ca.pem" -CAkey "$T/evil/ca.key" -CAcreateserial \
  -days 5 -extfile "$T/evil/ext" -out "$T/evil/agent.pem" 2>/dev/null
# The foreign certificate, trusting our CA for the server: the handshake fails.
expect_probe UNAVAILABLE --target=127.0.0.1:$CTL_PORT --ca="$CA" --cert="$T/evil/agent.pem" \
  --key="$T/evil/agent.key" --call=registry.RegisterAgent:agent-1
expect_probe UNAVAILABLE --target=127.0.0.1:$AGENT_PORT --ca="$CA" --cert="$T/evil/agent.pem" \
  --key="$T/evil/agent.key" --identity=spiffe://dbdump/agent/agent-1 --call=agent.RunBackup

step "an expired certificate from our own CA is refused"
mkdir -p "$T/ossl" && : > "$T/ossl/index.txt" && echo 1000 > "$T/ossl/serial"
cat > "$T/ossl/ca.cnf" <<EOF
[ ca ]
default_ca = d
[ d ]
database = $T/ossl/index.txt
new_certs_dir = $T/ossl
serial = $T/ossl/serial
default_md = sha256
policy = p
copy_extensions = none
[ p ]
commonName = supplied
EOF
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ossl/old.key" \
  -out "$T/ossl/old.csr" -subj /CN=controller 2>/dev/null
printf 'subjectAltName=URI:spiffe://dbdump/controller\nextendedKeyUsage=serverAuth,clientAuth\n' > "$T/ossl/ext"
openssl ca -batch -config "$T/ossl/ca.cnf" -cert "$CA" -keyfile "$T/state/pki/ca.key" -in "$T/ossl/old.csr" \
  -out "$T/ossl/old.pem" -startdate 20200101000000Z -enddate 20200201000000Z -extfile "$T/ossl/ext" -notext 2>/dev/null
openssl x509 -in "$T/ossl/old.pem" -noout -checkend 0 >/dev/null && fail "test certificate is not expired"
# It even carries the controller's identity: the agent still refuses it.
expect_probe UNAVAILABLE --target=127.0.0.1:$AGENT_PORT --ca="$CA" --cert="$T/ossl/old.pem" \
  --key="$T/ossl/old.key" --identity=spiffe://dbdump/agent/agent-1 --call=agent.RunBackup

step "the controller's own certificate, sent to agent-1's address while expecting agent-2: refused"
# Identities are checked, not only chains: a server from the same CA with the
# wrong identity is not talked to.
expect_probe UNAVAILABLE --target=127.0.0.1:$AGENT_PORT --ca="$CA" --cert="$T/state/pki/controller.pem" \
  --key="$T/state/pki/controller.key" --identity=spiffe://dbdump/agent/agent-2 --call=agent.DeleteBackup
expect_error "is for spiffe://dbdump/agent/agent-1, not spiffe://dbdump/controller" \
  "$BIN/dbdumpctl" --controller=127.0.0.1:$AGENT_PORT agent list

step "an attacker with agent-1's valid certificate: other agents, the admin API, registering as another"
A1=(--ca="$CA" --cert="$T/agent-work/tls/agent.pem" --key="$T/agent-work/tls/agent.key")
expect_probe PERMISSION_DENIED --target=127.0.0.1:$AGENT2_PORT "${A1[@]}" \
  --identity=spiffe://dbdump/agent/agent-2 --call=agent.RunBackup --source="$T/app.db" --copy_to="$T/stolen"
[ ! -e "$T/stolen" ] || fail "agent-2 wrote a copy for agent-1's certificate"
expect_probe PERMISSION_DENIED --target=127.0.0.1:$AGENT2_PORT "${A1[@]}" \
  --identity=spiffe://dbdump/agent/agent-2 --call=agent.RunRestore
expect_probe PERMISSION_DENIED --target=127.0.0.1:$AGENT2_PORT "${A1[@]}" \
  --identity=spiffe://dbdump/agent/agent-2 --call=agent.DeleteBackup
expect_probe PERMISSION_DENIED --target=127.0.0.1:$CTL_PORT "${A1[@]}" --call=admin.ListBackups
expect_probe PERMISSION_DENIED --target=127.0.0.1:$CTL_PORT "${A1[@]}" --call=admin.RemoveDatabase:app
expect_probe PERMISSION_DENIED --target=127.0.0.1:$CTL_PORT "${A1[@]}" --call=registry.RegisterAgent:agent-2
expect_probe OK --target=127.0.0.1:$CTL_PORT "${A1[@]}" --call=registry.RegisterAgent:agent-1
ctl --output=json database list | grep -q '"app"' || fail "database app is gone"

step "API tokens: none, a viewer's, a revoked one"
mkdir -p -m 700 "$T/nobody" && cp "$CA" "$T/nobody/ca.pem"
expect_error "needs an API token" env DBDUMP_CONFIG_DIR="$T/nobody" "$BIN/dbdumpctl" backup list
VIEWER=$(ctl --output=json token create reader --role=viewer | json_field 'd["secret"]')
DBDUMP_TOKEN=$VIEWER ctl backup list >/dev/null || fail "a viewer cannot list backups"
expect_error "needs role admin" env DBDUMP_TOKEN="$VIEWER" "$BIN/dbdumpctl" database remove app
expect_error "role" env DBDUMP_TOKEN="$VIEWER" "$BIN/dbdumpctl" restore "$BACKUP_ID" --target="$T/restored.db"
expect_error "role" env DBDUMP_TOKEN="$VIEWER" "$BIN/dbdumpctl" backup run app
expect_error "role" env DBDUMP_TOKEN="$VIEWER" "$BIN/dbdumpctl" token create mine --role=admin
ctl --output=json database list | grep -q '"app"' || fail "a refused remove changed something"
[ ! -e "$T/restored.db" ] || fail "a refused restore wrote its target"
[ "$(ctl --output=json job list | grep -c '"kind"')" -eq 1 ] || fail "a refused call queued a job"
OPERATOR=$(ctl --output=json token create ops --role=operator | json_field 'd["secret"]')
expect_error "needs role admin" env DBDUMP_TOKEN="$OPERATOR" "$BIN/dbdumpctl" restore "$BACKUP_ID" --target="$T/restored.db"
DBDUMP_TOKEN=$OPERATOR ctl restore "$BACKUP_ID" --dry-run --wait >/dev/null || fail "an operator cannot dry-run"
ctl token revoke reader
expect_error "revoked" env DBDUMP_TOKEN="$VIEWER" "$BIN/dbdumpctl" backup list
expect_error "unknown API token" env DBDUMP_TOKEN="dbdt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$BIN/dbdumpctl" backup list
ctl token list | grep -q reader || fail "token list does not show the revoked token"

step "enrollment: a used, an expired, a forged token, and a wrong CA fingerprint"
enroll_agent() { # DIR TOKEN FINGERPRINT: runs an agent that must fail to enroll
  DBDUMP_JOIN_TOKEN=$2 timeout 30 "$BIN/dbdump-agent" --listen=127.0.0.1:0 --controller=127.0.0.1:$CTL_PORT \
    --work_dir="$T/$1" --join=env:DBDUMP_JOIN_TOKEN --ca-fingerprint="$3"
}
expect_error "already used" enroll_agent used "$AGENT2_TOKEN" "$FINGERPRINT"
expect_error "unknown join token" enroll_agent forged "dbdj_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$FINGERPRINT"
LATE=$(ctl --output=json agent enroll late | json_field 'd["join_token"]')
sqlite3 "$T/controller.db" "UPDATE join_tokens SET expires_at = created_at WHERE agent_name = 'late'"
expect_error "expired" enroll_agent late "$LATE" "$FINGERPRINT"
PINNED=$(ctl --output=json agent enroll pinned | json_field 'd["join_token"]')
expect_error "refusing to send the join token" enroll_agent pinned "$PINNED" \
  "sha256:0000000000000000000000000000000000000000000000000000000000000000"
[ ! -e "$T/pinned/tls/agent.key" ] || fail "an agent that refused the CA kept a key"
expect_error "not the token" env DBDUMP_JOIN_TOKEN=x "$BIN/dbdump-agent" --work_dir="$T/argv" \
  --join="$PINNED" --ca-fingerprint="$FINGERPRINT"
# The token the wrong fingerprint kept back is still unused.
DBDUMP_JOIN_TOKEN=$PINNED timeout 20 "$BIN/dbdump-agent" --listen=127.0.0.1:$(free_port) \
  --controller=127.0.0.1:$CTL_PORT --work_dir="$T/pinned" --join=env:DBDUMP_JOIN_TOKEN \
  --ca-fingerprint="$FINGERPRINT" >>"$T/pinned.log" 2>&1 &
PINNED_PID=$!
PIDS+=("$PINNED_PID")
wait_for "the pinned agent to enroll" test -s "$T/pinned/tls/agent.pem"
# Registered too (the agent first checks which engines' tools it has), so
# that the revocation below ends a live agent's access.
pinned_registered() { ctl agent list | grep -qE '^pinned '; }
wait_for "the pinned agent to register" pinned_registered

step "revoking an agent ends its access at once"
ctl agent revoke pinned
expect_probe UNAUTHENTICATED --target=127.0.0.1:$CTL_PORT --ca="$CA" --cert="$T/pinned/tls/agent.pem" \
  --key="$T/pinned/tls/agent.key" --call=registry.RegisterAgent:pinned
ctl agent list | tee "$T/agents.txt" | grep -E '^pinned ' | grep -q revoked || fail "agent list does not show pinned as revoked: $(cat "$T/agents.txt")"
kill "$PINNED_PID" 2>/dev/null || true

step "a second controller on the same store or port refuses to start"
rc=0
out=$(timeout 20 "$BIN/dbdump-controller" --listen=127.0.0.1:$(free_port) --store="$T/controller.db" \
  --state_dir="$T/state2" 2>&1) || rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "a second controller on the same store started (rc $rc)"
echo "   $out"
echo "$out" | grep -q "in use by another dbdump-controller" || fail "unclear refusal: $out"
[ "$(echo "$out" | wc -l)" -le 2 ] || fail "refusal is not one line: $out"
rc=0
out=$(timeout 20 "$BIN/dbdump-controller" --listen=127.0.0.1:$CTL_PORT --store="$T/other.db" \
  --state_dir="$T/state3" 2>&1) || rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "a second controller on the same port started (rc $rc)"
echo "   $out"
echo "$out" | grep -q "address in use" || fail "unclear refusal: $out"
[ "$(echo "$out" | wc -l)" -le 2 ] || fail "refusal is not one line: $out"
[ ! -e "$T/other.db" ] && [ ! -e "$T/state3" ] || fail "a controller refused on its port left files behind"
ctl agent list >/dev/null || fail "the first controller is hurt"

step "the audit log recorded each refusal, with actor and outcome"
AUDIT=$(ctl --output=json audit list --limit=1000)
has_entry() { # ACTOR RPC_SUBSTRING OUTCOME
  echo "$AUDIT" | python3 -c "
import json, sys
entries = json.load(sys.stdin).get('entries', [])
sys.exit(0 if any(e.get('actor') == sys.argv[1] and sys.argv[2] in e.get('rpc', '') and
                  e.get('outcome') == sys.argv[3] for e in entries) else 1)" "$@" ||
    fail "no audit entry: actor=$1 rpc~$2 outcome=$3"
}
has_entry token:reader RemoveDatabase PERMISSION_DENIED
has_entry token:reader StartRestore PERMISSION_DENIED
has_entry token:ops StartRestore PERMISSION_DENIED
has_entry anonymous ListBackups UNAUTHENTICATED
has_entry agent:agent-1 ListBackups PERMISSION_DENIED
has_entry agent:agent-1 RegisterAgent PERMISSION_DENIED
has_entry controller "bootstrap admin token" ok
has_entry token:admin CreateToken ok
has_entry token:admin RevokeToken ok
has_entry token:admin RevokeAgent ok
has_entry join-token:agent-2 Enroll ok
has_entry join-token:unknown Enroll UNAUTHENTICATED
has_entry token:admin AddDatabase ok
ctl audit verify

step "audit verify finds an edited entry and says which"
EDITED=$(sqlite3 "$T/controller.db" "SELECT seq FROM audit_log WHERE rpc LIKE '%RemoveDatabase' LIMIT 1")
sqlite3 "$T/controller.db" "UPDATE audit_log SET outcome = 'ok' WHERE seq = $EDITED"
out=$(ctl audit verify 2>&1) && fail "audit verify passed an edited log"
echo "$out" | grep -q "entry $EDITED" || fail "audit verify does not name entry $EDITED: $out"
echo "   $(echo "$out" | head -n 1)"

step "no token, key or password in logs, store, audit log or any command line"
SECRETS=("$VIEWER" "$OPERATOR" "$AGENT2_TOKEN" "$LATE" "$PINNED" "$(cat "$T/state/admin.token")"
         "$(sed -n 2p "$T/agent-work/tls/agent.key")" "$(sed -n 2p "$T/state/pki/ca.key")"
         "$(sed -n 2p "$T/state/pki/controller.key")")
# A process may end between the glob and the read: that is not an error.
for p in /proc/[0-9]*; do { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null || true; echo; done > "$T/cmdlines.txt"
for s in "${SECRETS[@]}"; do
  [ -n "$s" ] || fail "empty secret in the scan list"
  for f in "$T/controller.log" "$T/agent.log" "$T/agent2.log" "$T/controller.db" "$T/state/audit.jsonl" \
           "$T/cmdlines.txt"; do
    if grep -aqF -- "$s" "$f"; then fail "a secret (${s:0:8}…) is in $f"; fi
  done
done
echo "   ${#SECRETS[@]} secrets, none found"
