#!/usr/bin/env bash
# Benchmark: `pum dump` + `pum restore` against bare `pg_dump` + `pg_restore`
# (the floor pum wraps; target: pum at most 1.05x the floor), for the custom
# format and for the directory format with -j 2.
#
# Starts its own throw-away cluster (initdb/pg_ctl, unix socket only, removed
# on exit), generates a database of about BENCH_MB megabytes (default 1000:
# a few wide tables with indexes) and prints the timings and ratios.
#
# Usage: bench/dump_restore.sh            (builds pum in release mode first)
#   PUM=path/to/pum BENCH_MB=200 BENCH_RUNS=3 bench/dump_restore.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

BENCH_MB=${BENCH_MB:-1000}
PUM=${PUM:-$(pum_bin)}
start_cluster
bindir=$BINDIR
work=$(mktemp -d /tmp/pum-bench-out-XXXXXX)
chmod 755 "$work"
trap 'stop_cluster; rm -rf "$work"' EXIT
cat >"$work/pg_service.conf" <<EOF
[bench]
host=$PGHOST
port=$PGPORT
user=postgres
dbname=bench
EOF
export PGSERVICEFILE=$work/pg_service.conf
psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1)

echo "generating about ${BENCH_MB} MB of data ..."
rows=$((BENCH_MB * 2000))
"${psql[@]}" -d postgres -c "CREATE DATABASE bench"
"${psql[@]}" -d bench <<EOF
CREATE SCHEMA app;
CREATE TABLE app.wide AS
  SELECT g AS id, md5(g::text) AS a, md5((g * 7)::text) AS b,
         repeat(md5((g * 13)::text), 3) AS c, now() - g * interval '1 second' AS ts,
         (g % 1000)::int AS bucket, g * 1.5 AS amount
    FROM generate_series(1, $rows) g;
ALTER TABLE app.wide ADD PRIMARY KEY (id);
CREATE INDEX ON app.wide (bucket);
CREATE INDEX ON app.wide (b);
CREATE TABLE app.events AS
  SELECT g AS id, g % 50000 AS wide_id, jsonb_build_object('k', g, 'v', md5(g::text)) AS payload
    FROM generate_series(1, $((rows / 2))) g;
ALTER TABLE app.events ADD PRIMARY KEY (id);
CREATE INDEX ON app.events (wide_id);
CREATE TABLE public.counters AS
  SELECT g AS id, g % 97 AS a, g % 89 AS b, g % 83 AS c FROM generate_series(1, $((rows * 2))) g;
CREATE INDEX ON public.counters (a, b);
VACUUM ANALYZE;
EOF
size=$("${psql[@]}" -At -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")
echo "database bench: $size"

reset_db() {
    "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1" 2>/dev/null
}

out=$work/out
mkdir "$out"

# Both sides restore into an empty database created beforehand, outside the
# timing. Each step runs BENCH_RUNS times, floor and pum alternating so that load
# from other processes hits both alike; the fastest run of each counts.
BENCH_RUNS=${BENCH_RUNS:-2}
fresh() {
    reset_db "$1"
    "${psql[@]}" -d postgres -c "CREATE DATABASE $1 TEMPLATE template0"
}

for run in $(seq "$BENCH_RUNS"); do
    echo "run $run of $BENCH_RUNS ..."
    rm -rf "${out:?}"/*
    # Custom format.
    timed floor_dump "$bindir/pg_dump" -Fc -d bench -f "$out/floor.dump"
    fresh floor_r
    timed floor_restore "$bindir/pg_restore" --no-owner --exit-on-error -d floor_r "$out/floor.dump"
    reset_db floor_r
    timed pum_dump "$PUM" -q dump -p bench "$out/pum.dump"
    fresh pum_r
    timed pum_restore "$PUM" -q restore -p bench --into pum_r "$out/pum.dump"
    reset_db pum_r
    # Directory format, 2 jobs.
    timed floor_ddump "$bindir/pg_dump" -Fd -j 2 -d bench -f "$out/floor.dir"
    fresh floor_r
    timed floor_drestore "$bindir/pg_restore" -j 2 --no-owner --exit-on-error -d floor_r "$out/floor.dir"
    reset_db floor_r
    timed pum_ddump "$PUM" -q dump -p bench -F directory -j 2 "$out/pum.dir"
    fresh pum_r
    timed pum_drestore "$PUM" -q restore -p bench -j 2 --into pum_r "$out/pum.dir"
    reset_db pum_r
done
floor_dump=${best[floor_dump]} floor_restore=${best[floor_restore]}
pum_dump=${best[pum_dump]} pum_restore=${best[pum_restore]}
floor_ddump=${best[floor_ddump]} floor_drestore=${best[floor_drestore]}
pum_ddump=${best[pum_ddump]} pum_drestore=${best[pum_drestore]}

archive=$(du -sh "$out/floor.dump" | cut -f1)
ratio() { echo "scale=3; $1 / $2" | bc; }
sum() { echo "$1 + $2" | bc; }
printf '\ndatabase %s, custom archive %s, pg_dump %s, best of %s runs\n' "$size" "$archive" "$("$bindir/pg_dump" --version | awk '{print $3}')" "$BENCH_RUNS"
printf '%-28s %10s %10s %8s\n' "step" "floor (s)" "pum (s)" "ratio"
row() { printf '%-28s %10.2f %10.2f %8s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")"; }
row "custom: dump" "$floor_dump" "$pum_dump"
row "custom: restore" "$floor_restore" "$pum_restore"
row "custom: dump + restore" "$(sum "$floor_dump" "$floor_restore")" "$(sum "$pum_dump" "$pum_restore")"
row "directory -j 2: dump" "$floor_ddump" "$pum_ddump"
row "directory -j 2: restore" "$floor_drestore" "$pum_drestore"
row "directory -j 2: both" "$(sum "$floor_ddump" "$floor_drestore")" "$(sum "$pum_ddump" "$pum_drestore")"
