#!/usr/bin/env bash
# Backs up a generated PostgreSQL database of >= 1 GB to a local S3 server
# (OpenStack Swift with s3api by default; BENCH_S3=moto for moto) and, in the
# same run and on the same data, times:
#   - pg_dump -> /dev/null                                  (the floor)
#   - pg_dump | zstd -T0 | aws s3 cp -                      (a good shell pipeline)
#   - pg_dump to a file; gzip; sha256sum; aws s3 cp        (the sequential way)
#   - dbdump: controller + agent, streaming multipart upload
# Prints wall times, ratios to the floor, the agent's peak RSS and the
# compression ratio. The floor, the shell pipeline and dbdump each run
# $RUNS times (default 2), interleaved, and the best time of each counts: on
# a shared 2-core machine a single run can be slowed by anything else.
#   bash bench/s3_backup_1gb.sh [rows] [zstd level]
set -euo pipefail
ROWS=${1:-4500000}
LEVEL=${2:-3}
KIND=${BENCH_S3:-swift}
source "$(dirname "$0")/lib.sh"

step "generating $ROWS rows; starting $KIND"
start_postgres pg
generate_bench_db bench "$ROWS"
echo "database size: $(( $(psql_as bench "SELECT pg_database_size('bench')") / 1024 / 1024 )) MiB"
start_s3 "$KIND" s3
S3D="$T/s3"
aws_s3() { AWS_SHARED_CREDENTIALS_FILE="$S3D/credentials" aws --region us-east-1 --endpoint-url "$(cat "$S3D/endpoint")" "$@"; }

RUNS=${RUNS:-2}
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
pipe() {
  PGPASSWORD=$(cat "$PG_PASSFILE") pg_dump -h 127.0.0.1 -p "$PG_PORT" -U dbdump --format=custom \
    --compress=0 bench | zstd -T0 -q -"$LEVEL" | aws_s3 s3 cp - s3://dbdump-test/shell/dump.zst >/dev/null
}

step "sequential: dump to a file, gzip, sha256sum, aws s3 cp"
sequential() {
  PGPASSWORD=$(cat "$PG_PASSFILE") pg_dump -h 127.0.0.1 -p "$PG_PORT" -U dbdump --format=custom \
    --compress=0 -f "$T/seq.dump" bench
  gzip "$T/seq.dump"
  sha256sum "$T/seq.dump.gz" > /dev/null
  aws_s3 s3 cp "$T/seq.dump.gz" s3://dbdump-test/seq/dump.gz >/dev/null
  rm -f "$T/seq.dump.gz"
}
seq=$(seconds_of sequential)

step "dbdump backup (zstd level $LEVEL) to $KIND"
start_controller
start_agent
wait_for "agent to register" agent_online
ctl storage add s3 --kind=s3 --bucket=dbdump-test --prefix=bench --endpoint="$(cat "$S3D/endpoint")" \
  --path-style --credentials-ref="file:$S3D/credentials" >/dev/null
ctl database add bench --engine=postgres --agent=agent-1 --storage=s3 --host=127.0.0.1 \
  --port="$PG_PORT" --user=dbdump --dbname=bench --password-ref="file:$PG_PASSFILE" >/dev/null
run_backup() { ctl backup run bench --compression=zstd --level="$LEVEL" --wait > "$T/backup.out"; }
floors=(); shells=(); ourss=()
for i in $(seq 1 "$RUNS"); do
  step "round $i: floor, shell pipeline, dbdump"
  floors+=("$(seconds_of pg_dump_to_null bench)")
  shells+=("$(seconds_of pipe)")
  ourss+=("$(seconds_of run_backup)")
done
floor=$(best "${floors[@]}"); shell=$(best "${shells[@]}"); ours=$(best "${ourss[@]}")
echo "all runs: floor ${floors[*]}; shell ${shells[*]}; dbdump ${ourss[*]}"
hwm=$(awk '/VmHWM/ {print $2}' /proc/$AGENT_PID/status)
id=$(ctl --output=json backup list | json_field 'd["backups"][0]["id"]')
ctl --output=json backup show "$id" > "$T/backup.json"
raw=$(json_field 'd["backup"]["manifest"]["raw_size_bytes"]' < "$T/backup.json")
stored=$(json_field 'd["backup"]["manifest"]["stored_size_bytes"]' < "$T/backup.json")

echo
echo "server: $KIND; raw dump $((raw / 1024 / 1024)) MiB, stored $((stored / 1024 / 1024)) MiB (ratio $(ratio "$raw" "$stored")x)"
printf '%-44s %8.2f s  %5sx the floor\n' "pg_dump -> /dev/null" "$floor" 1.00
printf '%-44s %8.2f s  %5sx the floor\n' "pg_dump | zstd -T0 | aws s3 cp -" "$shell" "$(ratio "$shell" "$floor")"
printf '%-44s %8.2f s  %5sx the floor\n' "sequential (file, gzip, sha256sum, aws cp)" "$seq" "$(ratio "$seq" "$floor")"
printf '%-44s %8.2f s  %5sx the floor\n' "dbdump" "$ours" "$(ratio "$ours" "$floor")"
echo "dbdump is $(ratio "$seq" "$ours")x faster than the sequential pipeline"
echo "agent peak RSS (VmHWM): $((hwm / 1024)) MiB"
