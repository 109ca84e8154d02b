#!/usr/bin/env bash
# End to end over TLS, the PKI's life: certificates made with openssl
# (bring-your-own PKI, no CA key given to the controller) run the whole
# path; and with the controller's own CA, an agent whose certificate lives
# 90 s renews it before it expires and keeps working without a restart.
source "$(dirname "$0")/lib.sh"

step "bring-your-own PKI: a CA, the controller's and the agent's certificates, all from openssl"
P="$T/byo"
mkdir -p -m 700 "$P"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/ca.key" \
  -out "$P/ca.pem" -days 30 -subj "/CN=Example Corp Backup CA" 2>/dev/null
issue() { # NAME IDENTITY [SAN]
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/$1.key" \
    -out "$P/$1.csr" -subj "/CN=$1" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' "${3:-URI:$2}" > "$P/$1.ext"
  openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial -days 10 \
    -extfile "$P/$1.ext" -out "$P/$1.pem" 2>/dev/null
  chmod 600 "$P/$1.key"
}
issue controller spiffe://dbdump/controller
issue agent-1 spiffe://dbdump/agent/agent-1
issue wrong spiffe://dbdump/agent/agent-9
# The gateway's own certificate, for the name browsers use.
issue web - DNS:backup.example.test
HTTP_PORT=$(free_port)

"$BIN/dbdump-controller" --listen=127.0.0.1:$CTL_PORT --store="$T/controller.db" --state_dir="$T/state" \
  --heartbeat_interval_s=1 --tls_ca_file="$P/ca.pem" --tls_cert_file="$P/controller.pem" \
  --tls_key_file="$P/controller.key" --http_listen=127.0.0.1:$HTTP_PORT \
  --http_tls_cert_file="$P/web.pem" --http_tls_key_file="$P/web.key" >>"$T/controller.log" 2>&1 &
PIDS+=("$!")
wait_for "first admin token" test -s "$T/state/admin.token"
mkdir -p -m 700 "$DBDUMP_CONFIG_DIR"
cp "$P/ca.pem" "$DBDUMP_CONFIG_DIR/ca.pem"
install -m 600 "$T/state/admin.token" "$DBDUMP_CONFIG_DIR/token"
wait_for "controller to listen" ctl agent list
[ ! -e "$T/state/pki" ] || fail "the controller made its own CA although it was given one"
"$BIN/dbdump-agent" --listen=127.0.0.1:$AGENT_PORT --controller=127.0.0.1:$CTL_PORT \
  --work_dir="$T/agent-work" --tls_ca_file="$P/ca.pem" --tls_cert_file="$P/agent-1.pem" \
  --tls_key_file="$P/agent-1.key" >>"$T/agent.log" 2>&1 &
PIDS+=("$!")
wait_for "agent to register" agent_online
sqlite3 "$T/app.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b');"
ctl storage add local --kind=local --path="$T/store"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
ctl backup run app --wait >/dev/null
ID=$(ctl --output=json backup list --database=app | json_field 'd["backups"][0]["id"]')
ctl restore "$ID" --target="$T/restored.db" --wait >/dev/null
[ "$(sqlite3 "$T/restored.db" 'SELECT group_concat(v) FROM t')" = "a,b" ] || fail "restore over BYO PKI differs"
expect_error "no CA key" ctl agent enroll agent-2
# The gateway serves --http_tls_cert_file: checked by curl under its name.
ROLE=$(curl -sS --fail --cacert "$P/ca.pem" --resolve "backup.example.test:$HTTP_PORT:127.0.0.1" \
  -H "Authorization: Bearer $(cat "$DBDUMP_CONFIG_DIR/token")" \
  "https://backup.example.test:$HTTP_PORT/v1/session" | json_field 'd["role"]')
[ "$ROLE" = ROLE_ADMIN ] || fail "the gateway under its own certificate answered $ROLE"
if curl -sS --cacert "$P/ca.pem" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" \
     "https://controller.dbdump:$HTTP_PORT/v1/session" >/dev/null 2>&1; then
  fail "the gateway served the controller's certificate instead of --http_tls_cert_file"
fi

step "bring-your-own PKI: a certificate for another name, and a controller certificate without its identity"
expect_error "certificate is for" "$BIN/dbdump-agent" --name=agent-1 --listen=127.0.0.1:0 \
  --controller=127.0.0.1:$CTL_PORT --work_dir="$T/w2" --tls_ca_file="$P/ca.pem" \
  --tls_cert_file="$P/wrong.pem" --tls_key_file="$P/wrong.key"
expect_error "go together" "$BIN/dbdump-controller" --listen=127.0.0.1:0 --store="$T/c3.db" \
  --state_dir="$T/state3" --http_listen=127.0.0.1:0 --http_tls_cert_file="$P/web.pem"
# (after its start-up log lines, so not expect_error's one line)
if OUT=$("$BIN/dbdump-controller" --listen=127.0.0.1:0 --store="$T/c4.db" --state_dir="$T/state4" \
     --http_listen=127.0.0.1:0 --http_tls_cert_file="$P/web.pem" --http_tls_key_file="$P/agent-1.key" 2>&1); then
  fail "a controller started with a gateway key that is not its certificate's"
fi
echo "$OUT" | tail -1 | grep -q "error: cannot use .*web.pem with .*agent-1.key: not a PEM certificate and the private key that matches it" \
  || fail "mismatched gateway key: $OUT"
expect_error "no URI SAN spiffe://dbdump/controller" "$BIN/dbdump-controller" --listen=127.0.0.1:0 \
  --store="$T/c2.db" --state_dir="$T/state2" --tls_ca_file="$P/ca.pem" \
  --tls_cert_file="$P/agent-1.pem" --tls_key_file="$P/agent-1.key"
kill_all() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; PIDS=(); }
kill_all
sleep 0.5

step "renewal: a 90 s certificate is renewed after 60 s and the agent keeps working"
rm -rf "$T/state" "$T/controller.db"* "$T/agent-work" "$DBDUMP_CONFIG_DIR"
CONTROLLER_FLAGS="--agent_cert_validity_s=90" start_controller
AGENT_FLAGS="--renew_check_s=2" start_agent
wait_for "agent to register" agent_online
FIRST=$(openssl x509 -in "$T/agent-work/tls/agent.pem" -noout -serial)
FIRST_END=$(openssl x509 -in "$T/agent-work/tls/agent.pem" -noout -enddate | cut -d= -f2)
for _ in $(seq 1 90); do
  [ "$(openssl x509 -in "$T/agent-work/tls/agent.pem" -noout -serial)" != "$FIRST" ] && break
  sleep 1
done
[ "$(openssl x509 -in "$T/agent-work/tls/agent.pem" -noout -serial)" != "$FIRST" ] || fail "not renewed in 90 s"
grep -q "certificate renewed" "$T/agent.log" || fail "the agent did not log its renewal"
echo "   renewed; the first certificate ended $FIRST_END"
# Past the first certificate's end, the same agent process still heartbeats and backs up.
while [ "$(date -u +%s)" -le "$(date -u -d "$FIRST_END" +%s)" ]; do sleep 1; done
sleep 3
kill -0 "$AGENT_PID" || fail "the agent died"
agent_online || fail "the agent is offline after its first certificate expired"
ctl storage add local --kind=local --path="$T/store2"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
ctl backup run app --wait >/dev/null || fail "a backup failed on the renewed certificate"
echo "   backup through the renewed certificate, same process"
