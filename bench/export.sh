#!/usr/bin/env bash
# Benchmark: `pum export` + `pum import` of one table of about BENCH_MB
# megabytes of CSV against psql's `\copy (query) to FILE csv header` and
# `\copy table from FILE csv header` (the floor; target: pum at most 1.1x).
#
# Starts its own throw-away cluster (initdb/pg_ctl, unix socket only, removed
# on exit), fills a table, then times each side BENCH_RUNS times, floor and
# pum alternating; the fastest run of each counts. Both sides load into an
# empty table emptied beforehand, outside the timing.
#
# Usage: bench/export.sh                  (builds pum in release mode first)
#   PUM=path/to/pum BENCH_MB=200 BENCH_RUNS=3 bench/export.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

BENCH_MB=${BENCH_MB:-1000}
BENCH_RUNS=${BENCH_RUNS:-2}
PUM=${PUM:-$(pum_bin)}
start_cluster
bindir=$BINDIR
work=$(mktemp -d -t pum-bench-out-XXXXXX)
chmod 755 "$work"
trap 'stop_cluster; rm -rf "$work"' EXIT
cat >"$work/pg_service.conf" <<SERVICE
[bench]
host=$PGHOST
port=$PGPORT
user=postgres
dbname=bench
SERVICE
export PGSERVICEFILE=$work/pg_service.conf
psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d bench)

echo "generating about ${BENCH_MB} MB of CSV rows ..."
# A row of this table is about 150 bytes of CSV.
rows=$((BENCH_MB * 6600))
"$bindir/psql" -X -q -d postgres -c "CREATE DATABASE bench"
"${psql[@]}" <<SQL
CREATE TABLE public.wide AS
  SELECT g AS id, md5(g::text) AS a, md5((g * 7)::text) AS b,
         'text with, a comma and "quotes" ' || g AS c,
         now() - g * interval '1 second' AS ts, (g % 1000)::int AS bucket, g * 1.5 AS amount
    FROM generate_series(1, $rows) g;
CREATE TABLE public.floor_copy (LIKE public.wide);
CREATE TABLE public.pum_copy (LIKE public.wide);
VACUUM ANALYZE;
SQL

cat >"$work/pum.yaml" <<YAML
export:
  service: bench
  location: exports
  manifest: public.pum_transfers
  tables:
    public.pum_copy:
      query: "SELECT * FROM public.wide"
import:
  service: bench
  location: exports
  manifest: public.pum_transfers
  tables:
    public.pum_copy: {}
YAML


for run in $(seq "$BENCH_RUNS"); do
    echo "run $run of $BENCH_RUNS ..."
    rm -rf "${work:?}/exports" "$work/floor.csv"
    "${psql[@]}" -c "TRUNCATE public.floor_copy, public.pum_copy"
    floor_export() { timed floor_export "${psql[@]}" -c "\\copy (SELECT * FROM public.wide) to '$work/floor.csv' csv header"; }
    pum_export() { timed pum_export "$PUM" -q -c "$work/pum.yaml" export; }
    floor_import() { timed floor_import "${psql[@]}" -c "\\copy public.floor_copy from '$work/floor.csv' csv header"; }
    pum_import() { timed pum_import "$PUM" -q -c "$work/pum.yaml" import; }
    # Who goes first alternates, so that neither always pays for the
    # other's dirty buffers being written back.
    if ((run % 2)); then
        floor_export; pum_export; floor_import; pum_import
    else
        pum_export; floor_export; pum_import; floor_import
    fi
done

csv=$(du -sh "$work/floor.csv" | cut -f1)
pum_file=$(ls "$work"/exports/public.pum_copy/*.csv)
cmp -s "$work/floor.csv" "$pum_file" || { echo "pum's file differs from psql's" >&2; exit 1; }
n_floor=$("${psql[@]}" -At -c "SELECT count(*) FROM public.floor_copy")
n_pum=$("${psql[@]}" -At -c "SELECT count(*) FROM public.pum_copy")
[ "$n_floor" = "$n_pum" ] || { echo "row counts differ: $n_floor vs $n_pum" >&2; exit 1; }

ratio() { echo "scale=3; $1 / $2" | bc; }
printf '\n%s rows, CSV %s, best of %s runs\n' "$rows" "$csv" "$BENCH_RUNS"
printf '%-12s %10s %10s %8s\n' "step" "floor (s)" "pum (s)" "ratio"
row() { printf '%-12s %10.2f %10.2f %8s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")"; }
row "export" "${best[floor_export]}" "${best[pum_export]}"
row "import" "${best[floor_import]}" "${best[pum_import]}"
