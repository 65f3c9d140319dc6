#!/usr/bin/env bash
# Benchmark: `pum dump --store s3://…` + `pum restore --latest s3://…`
# (streamed: multipart upload; the restore hashes the object once before
# streaming it into pg_restore) against the floors: `pg_dump -Fc > file` +
# upload with the AWS CLI (and download + `pg_restore file`), and plain
# `pg_dump -Fc | pg_restore`. Target: pum at most 1.2x the file + CLI floor,
# peak RSS under 200 MB.
#
# Starts its own throw-away cluster and a local S3-compatible server
# (moto_server, from PyPI's moto[server]; the AWS CLI from PyPI's awscli),
# generates about BENCH_MB megabytes (default 1000) and prints timings,
# ratios and pum's peak RSS (GNU time).
#
# Usage: bench/store.sh                    (builds pum in release mode first)
#   PUM=path/to/pum BENCH_MB=200 BENCH_RUNS=2 bench/store.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

BENCH_MB=${BENCH_MB:-1000}
BENCH_RUNS=${BENCH_RUNS:-1}
PUM=${PUM:-$(pum_bin)}
command -v moto_server >/dev/null || { echo "needs moto_server: pip install 'moto[server]'" >&2; exit 2; }
command -v aws >/dev/null || { echo "needs the AWS CLI: pip install awscli" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
start_cluster
bindir=$BINDIR
work=$(mktemp -d /tmp/pum-bench-out-XXXXXX)
chmod 755 "$work"
s3port=$((40000 + RANDOM % 20000))
moto_server -H 127.0.0.1 -p "$s3port" >/dev/null 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null; stop_cluster; rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$s3port AWS_ALLOW_HTTP=true
for _ in $(seq 150); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $s3port), 1)" 2>/dev/null && break
    sleep 0.2
done
aws s3 mb s3://bench >/dev/null
printf '[bench]\nhost=%s\nport=%s\nuser=postgres\ndbname=bench\n' "$PGHOST" "$PGPORT" >"$work/pg_service.conf"
export PGSERVICEFILE=$work/pg_service.conf
psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1)

echo "generating about ${BENCH_MB} MB of data ..."
rows=$((BENCH_MB * 2600))
"${psql[@]}" -d postgres -c "CREATE DATABASE bench"
"${psql[@]}" -d bench <<SQL
CREATE SCHEMA app;
CREATE TABLE app.wide AS
  SELECT g AS id, md5(g::text) AS a, md5((g * 7)::text) AS b,
         repeat(md5((g * 13)::text), 3) AS c, now() - g * interval '1 second' AS ts,
         (g % 1000)::int AS bucket, g * 1.5 AS amount
    FROM generate_series(1, $rows) g;
ALTER TABLE app.wide ADD PRIMARY KEY (id);
CREATE INDEX ON app.wide (bucket);
CREATE TABLE app.events AS
  SELECT g AS id, g % 50000 AS wide_id, jsonb_build_object('k', g, 'v', md5(g::text)) AS payload
    FROM generate_series(1, $((rows / 2))) g;
ALTER TABLE app.events ADD PRIMARY KEY (id);
CREATE TABLE public.counters AS
  SELECT g AS id, g % 97 AS a, g % 89 AS b, g % 83 AS c FROM generate_series(1, $((rows * 2))) g;
VACUUM ANALYZE;
SQL
size=$("${psql[@]}" -At -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")
echo "database bench: $size"

# As timed, keeping the peak RSS (kB) too (recorded negated: the most
# negative, i.e. the largest, is kept).
timed_rss() {
    local key=$1 t
    shift
    sync
    t=$(now)
    /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null
    record "$key" "$(elapsed "$t")"
    record "${key}_rss" "-$(tail -n 1 "$work/rss")"
}
fresh() {
    "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1"
    "${psql[@]}" -d postgres -c "CREATE DATABASE $1 TEMPLATE template0"
}
file_floor_dump() {
    "$bindir/pg_dump" -Fc -d bench -f "$work/floor.dump"
    aws s3 cp --only-show-errors "$work/floor.dump" s3://bench/floor/bench.dump
    rm -f "$work/floor.dump"
}
file_floor_restore() {
    aws s3 cp --only-show-errors s3://bench/floor/bench.dump "$work/floor.dump"
    "$bindir/pg_restore" --no-owner --exit-on-error -d floor_r "$work/floor.dump"
    rm -f "$work/floor.dump"
}
pipe_floor() {
    "$bindir/pg_dump" -Fc -d bench | "$bindir/pg_restore" --no-owner --exit-on-error -d pipe_r
}

for run in $(seq "$BENCH_RUNS"); do
    echo "run $run of $BENCH_RUNS ..."
    timed floor_dump file_floor_dump
    fresh floor_r
    timed floor_restore file_floor_restore
    timed_rss pum_dump "$PUM" -q dump -p bench --store s3://bench/pum
    fresh pum_r
    timed_rss pum_restore "$PUM" -q restore -p bench --into pum_r --latest s3://bench/pum
    fresh pipe_r
    timed pipe pipe_floor
done
archive=$(aws s3 ls s3://bench/floor/bench.dump | awk '{printf "%.0f MB", $3 / 1e6}')
ratio() { echo "scale=3; $1 / $2" | bc; }
sum() { echo "$1 + $2" | bc; }
printf '\ndatabase %s, custom archive %s, best of %s run(s)\n' "$size" "$archive" "$BENCH_RUNS"
printf '%-34s %10s %10s %8s\n' "step" "floor (s)" "pum (s)" "ratio"
row() { printf '%-34s %10.2f %10.2f %8s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")"; }
row "dump (file + aws s3 cp)" "${best[floor_dump]}" "${best[pum_dump]}"
row "restore (aws s3 cp + file)" "${best[floor_restore]}" "${best[pum_restore]}"
row "dump + restore" "$(sum "${best[floor_dump]}" "${best[floor_restore]}")" "$(sum "${best[pum_dump]}" "${best[pum_restore]}")"
row "vs pg_dump | pg_restore" "${best[pipe]}" "$(sum "${best[pum_dump]}" "${best[pum_restore]}")"
printf 'peak RSS: pum dump %d MB, pum restore %d MB\n' \
    "$(( -${best[pum_dump_rss]} / 1024 ))" "$(( -${best[pum_restore_rss]} / 1024 ))"
