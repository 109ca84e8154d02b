#!/usr/bin/env bash
# End to end, what a platform team runs around dbdump: Debian's Prometheus
# scrapes the controller's and the agent's metrics endpoints (and the
# gateway's /metrics with a viewer token) while a backup succeeds and one
# fails; its HTTP API must show the database's last success and the failed
# job. promtool checks both endpoints' text and the alert rules. Probes ask
# grpc.health.v1 with buf curl: the controller serves until its store file
# is moved away (and again once it is back), the agent serves while its
# controller has it registered. `dbdumpctl health` exits 1 when degraded.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
RULES="$REPO/deploy/prometheus/dbdump-alerts.yml"
BUF=${BUF:-$(command -v buf || { [ -x /root/go/bin/buf ] && echo /root/go/bin/buf; } || echo /usr/local/bin/buf)}
[ -x "$BUF" ] || fail "buf is missing (deploy/install-deps.sh installs it)"
command -v prometheus >/dev/null || fail "prometheus is missing (deploy/install-deps.sh installs it)"
command -v promtool >/dev/null || fail "promtool is missing (Debian's prometheus package has it)"
CA="$T/state/pki/ca.pem"
CTL_METRICS=$(free_port)
AGENT_METRICS=$(free_port)
HTTP_PORT=$(free_port)
PROM_PORT=$(free_port)
CONTROLLER_FLAGS="--metrics_listen=127.0.0.1:$CTL_METRICS --http_listen=127.0.0.1:$HTTP_PORT"
AGENT_FLAGS="--metrics_listen=127.0.0.1:$AGENT_METRICS"

# grpc.health.v1 is gRPC's own service; its schema is given to buf curl
# (gRPC's built-in health service is not in the reflection's descriptors).
mkdir -p "$T/schema/grpc/health/v1"
cat > "$T/schema/grpc/health/v1/health.proto" <<'EOF'
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
EOF
# controller_health: what a probe with only the CA (no token, no client
# certificate) is told.
controller_health() {
  "$BUF" curl --protocol grpc --schema "$T/schema" --cacert "$CA" --servername controller.dbdump \
    --data '{}' "https://127.0.0.1:$CTL_PORT/grpc.health.v1.Health/Check" 2>&1
}
# agent_health: the agent requires a client certificate from the CA; a probe
# on its host uses the agent's own.
agent_health() {
  "$BUF" curl --protocol grpc --schema "$T/schema" --cacert "$CA" \
    --servername agent-1.agent.dbdump --cert "$T/agent-work/tls/agent.pem" \
    --key "$T/agent-work/tls/agent.key" \
    --data '{}' "https://127.0.0.1:$AGENT_PORT/grpc.health.v1.Health/Check" 2>&1
}
controller_serving() { controller_health | grep -q '"SERVING"'; }
controller_not_serving() { controller_health | grep -q '"NOT_SERVING"'; }
agent_serving() { agent_health | grep -q '"SERVING"'; }
agent_not_serving() { agent_health | grep -q '"NOT_SERVING"'; }

# prom QUERY: the value of an instant query's first sample ("" when none).
prom() {
  curl -sS --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
# prom_is QUERY VALUE: the query answers VALUE (for wait_for).
prom_is() { [ "$(prom "$1")" = "$2" ]; }
prom_has() { [ -n "$(prom "$1")" ]; }

step "controller and agent with metrics endpoints; both healthy over gRPC"
start_controller
start_agent
wait_for "agent to register" agent_online
wait_for "controller to serve (grpc.health.v1)" controller_serving
echo "   controller: $(controller_health | tr -d ' \n')"
wait_for "agent to serve (grpc.health.v1)" agent_serving
echo "   agent: $(agent_health | tr -d ' \n')"
# The agent's health is not open to a caller without a certificate.
if "$BUF" curl --protocol grpc --schema "$T/schema" --cacert "$CA" --servername agent-1.agent.dbdump \
  --data '{}' "https://127.0.0.1:$AGENT_PORT/grpc.health.v1.Health/Check" >/dev/null 2>&1; then
  fail "the agent answered a caller without a client certificate"
fi
# The controller's job API stays closed to the tokenless probe.
if "$BUF" curl --protocol grpc --reflect-protocol grpc-v1alpha --cacert "$CA" --servername controller.dbdump \
  --data '{}' "https://127.0.0.1:$CTL_PORT/dbdump.v1.HealthService/GetHealth" >/dev/null 2>&1; then
  fail "GetHealth answered without a token"
fi
ctl health >/dev/null || fail "dbdumpctl health is not ok with its agent online"

step "a backup that succeeds and one that fails"
sqlite3 "$T/app.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('row');"
sqlite3 "$T/gone.db" "CREATE TABLE t(id INTEGER PRIMARY KEY);"
ctl storage add local --kind=local --path="$T/store"
ctl database add app --engine=sqlite --agent=agent-1 --storage=local --path="$T/app.db"
ctl database add gone --engine=sqlite --agent=agent-1 --storage=local --path="$T/gone.db"
ctl backup run app --wait >/dev/null
rm "$T/gone.db"
expect_job_failure "" ctl backup run gone --wait
LAST_GOOD=$(ctl --output=json stats | json_field '[s for s in d["databases"] if s["database"] == "app"][0]["last_good_backup_at"]')
LAST_GOOD_S=$(date -d "$LAST_GOOD" +%s)
echo "   app's last good backup: $LAST_GOOD ($LAST_GOOD_S)"

step "promtool accepts both endpoints' text, and the rules"
curl -sS "http://127.0.0.1:$CTL_METRICS/metrics" > "$T/controller.prom"
curl -sS "http://127.0.0.1:$AGENT_METRICS/metrics" > "$T/agent.prom"
for f in controller agent; do
  # promtool check metrics exits non-zero on a problem and names it.
  promtool check metrics < "$T/$f.prom" || fail "promtool check metrics: $f endpoint"
done
grep -q '^dbdump_build_info{version="' "$T/controller.prom" || fail "controller: no build info"
grep -q '^dbdump_build_info{version="' "$T/agent.prom" || fail "agent: no build info"
grep -q '^dbdump_agent_backup_stored_bytes_total [1-9]' "$T/agent.prom" ||
  fail "agent: the backup's stored bytes were not counted: $(grep stored_bytes "$T/agent.prom")"
grep -q '^dbdump_database_stale{database="app"} 0' "$T/controller.prom" || fail "app reported stale"
promtool check rules "$RULES" || fail "promtool check rules $RULES"
# The alerts fire (after their `for:`) on the series they watch, and not
# on healthy ones: deploy/prometheus/dbdump-alerts.test.yml.
promtool test rules "${RULES%.yml}.test.yml" || fail "promtool test rules: an alert does not fire as specified"

step "the gateway's /metrics needs a viewer token"
GW="https://controller.dbdump:$HTTP_PORT/metrics"
gw() { curl -sS --cacert "$CA" --resolve "controller.dbdump:$HTTP_PORT:127.0.0.1" "$@"; }
code=$(gw -o /dev/null -w '%{http_code}' "$GW")
[ "$code" = 401 ] || fail "/metrics without a token: HTTP $code, expected 401"
code=$(gw -o /dev/null -w '%{http_code}' -H "Authorization: Bearer dbdt_notavalidtoken0000000000000000000000000000" "$GW")
[ "$code" = 401 ] || fail "/metrics with an unknown token: HTTP $code, expected 401"
VIEWER=$(ctl --output=json token create scraper --role=viewer | json_field 'd["secret"]')
(umask 077; printf '%s' "$VIEWER" > "$T/viewer.token")
gw -H "Authorization: Bearer $VIEWER" "$GW" | grep -q '^dbdump_database_last_success_timestamp_seconds{database="app"}' ||
  fail "/metrics with a viewer token lacks the database's last success"

step "Prometheus scrapes all three and answers queries"
cat > "$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$RULES"]
scrape_configs:
  - job_name: dbdump-controller
    static_configs: [{targets: ["127.0.0.1:$CTL_METRICS"]}]
  - job_name: dbdump-agent
    static_configs: [{targets: ["127.0.0.1:$AGENT_METRICS"]}]
  - job_name: dbdump-gateway
    scheme: https
    tls_config: {ca_file: "$CA", server_name: controller.dbdump}
    authorization: {credentials_file: "$T/viewer.token"}
    static_configs: [{targets: ["127.0.0.1:$HTTP_PORT"]}]
EOF
promtool check config "$T/prometheus.yml" >/dev/null || fail "promtool check config"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >>"$T/prometheus.log" 2>&1 &
PIDS+=("$!")
wait_for "Prometheus to scrape the controller" prom_is 'up{job="dbdump-controller"}' 1
wait_for "Prometheus to scrape the agent" prom_is 'up{job="dbdump-agent"}' 1
wait_for "Prometheus to scrape the gateway with the viewer token" prom_is 'up{job="dbdump-gateway"}' 1
got=$(prom 'dbdump_database_last_success_timestamp_seconds{database="app",job="dbdump-controller"}')
echo "   dbdump_database_last_success_timestamp_seconds{database=\"app\"} = $got"
python3 -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) >= 1)' "$got" "$LAST_GOOD_S" ||
  fail "last success $got, expected $LAST_GOOD_S ($LAST_GOOD)"
prom_has 'dbdump_database_last_success_timestamp_seconds{database="gone"}' &&
  fail "a database without a good backup has a last success"
failed=$(prom 'dbdump_jobs_total{kind="backup",state="failed",job="dbdump-controller"}')
succeeded=$(prom 'dbdump_jobs_total{kind="backup",state="succeeded",job="dbdump-controller"}')
echo "   dbdump_jobs_total backup: succeeded $succeeded, failed $failed"
[ "$failed" = 1 ] && [ "$succeeded" = 1 ] || fail "jobs counted: succeeded '$succeeded', failed '$failed'"
prom_is 'dbdump_job_duration_seconds_count{kind="backup",job="dbdump-controller"}' 2 ||
  fail "job durations: $(prom 'dbdump_job_duration_seconds_count{kind="backup"}')"
prom_is 'dbdump_agent_up{agent="agent-1"}' 1 || fail "agent-1 not up in Prometheus"
prom_is 'dbdump_agent_jobs_ended_total{state="failed"}' 1 || fail "the agent did not count its failed job"
prom_is 'dbdump_agent_controller_connected' 1 || fail "the agent does not report its connection"
prom_has 'dbdump_database_last_backup_stored_bytes{database="app"} > 0' || fail "no stored size"
prom_has 'dbdump_database_last_backup_duration_seconds{database="app"} >= 0' || fail "no duration"

step "the store file is moved away: NOT_SERVING; back: SERVING"
mv "$T/controller.db" "$T/controller.db.moved"
wait_for "controller to report NOT_SERVING" controller_not_serving
grep -q "NOT_SERVING" "$T/controller.log" || fail "the controller did not log why it stopped serving"
mv "$T/controller.db.moved" "$T/controller.db"
wait_for "controller to serve again" controller_serving

step "the agent stops: dbdumpctl health is degraded (exit 1), dbdump_agent_up 0"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
set +e
out=$(ctl health 2>&1)
rc=$?
for _ in $(seq 1 50); do
  [ "$rc" != 0 ] && break
  sleep 0.2
  out=$(ctl health 2>&1)
  rc=$?
done
set -e
[ "$rc" = 1 ] || fail "dbdumpctl health exited $rc with the agent down: $out"
echo "$out" | grep -q "status.*degraded" || fail "dbdumpctl health does not say degraded: $out"
echo "   dbdumpctl health exit $rc: $(echo "$out" | tail -n 1)"
wait_for "dbdump_agent_up to drop" prom_is 'dbdump_agent_up{agent="agent-1"}' 0

step "the agent runs without its controller: NOT_SERVING"
start_agent
wait_for "agent to serve again" agent_serving
kill "$CONTROLLER_PID"
wait "$CONTROLLER_PID" 2>/dev/null || true
wait_for "agent to report NOT_SERVING without its controller" agent_not_serving
echo "== metrics and health OK"
