# Shared by the benchmarks: sources tests/e2e/lib.sh (servers, controller,
# agent on loopback) and adds the data generator and measurement helpers.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DBDUMP_BIN=${DBDUMP_BIN:-$root/build}
export DBDUMP_FIXTURES=$root/tests/fixtures
source "$root/tests/e2e/lib.sh"

# generate_bench_db DB ROWS: realistic, moderately compressible rows (text,
# numbers, timestamps, JSON), ~235 bytes of dump per row.
generate_bench_db() {
  psql_as postgres "CREATE DATABASE $1"
  psql_as "$1" "CREATE TABLE events (id bigint PRIMARY KEY, account int, kind text, amount numeric(12,2),
    created timestamptz, payload jsonb, note text);
    INSERT INTO events
    SELECT g, (g * 7919) % 100000,
           (ARRAY['order','refund','login','logout','payment','shipment'])[1 + g % 6],
           ((g * 37) % 100000) / 100.0,
           '2025-01-01'::timestamptz + (g % 31536000) * interval '1 second',
           jsonb_build_object('ip', '10.' || (g % 256) || '.' || (g * 3 % 256) || '.' || (g * 7 % 256),
                              'agent', 'Mozilla/5.0 (X11; Linux x86_64) build ' || (g % 977),
                              'items', (g % 5) + 1, 'session', md5(g::text)),
           'customer note ' || substr(md5((g * 13)::text), 1, (10 + g % 20)::int) || ' about order ' || g
    FROM generate_series(1::bigint, $2) g;"
  psql_as "$1" "VACUUM ANALYZE events"
}

# seconds_of COMMAND...: runs it, prints the wall time in seconds.
seconds_of() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

ratio() { echo "scale=2; $1 / $2" | bc; }

pg_dump_to_null() {
  PGPASSWORD=$(cat "$PG_PASSFILE") pg_dump -h 127.0.0.1 -p "$PG_PORT" -U dbdump --format=custom \
    --compress=0 "$1" > /dev/null
}
