#!/usr/bin/env bash
# pum check vs the floor: the same catalog queries run through psql.
#
# Starts a throw-away cluster of its own (initdb + pg_ctl, unix socket in a
# temp dir, durability off; as root the server runs as the postgres OS user),
# builds two identical databases of TABLES tables x 10 columns (a primary key
# and one more index each) plus 200 views and 200 functions, then times
#   * the floor: every catalog query of pum check, both databases at once,
#     through one psql session each, output discarded;
#   * target/release/pum check between the two databases.
# Best of RUNS runs each. Then the same for BIG tables, with pum's wall time and
# maximum resident set size.
#
# Usage: bench/check.sh [TABLES] [BIG]     (defaults 2000 and 20000; BIG=0 skips)
# Targets: pum <= 1.5x floor; BIG tables in < 3 s and < 300 MB.
set -euo pipefail

TABLES=${1:-2000}
BIG=${2:-20000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

source "$ROOT/bench/lib.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
best() { printf '%s\n' "$@" | sort -n | head -1; }

PUM=$(pum_bin)
# Reading 20 000 views' definitions takes a lock per relation in one transaction.
CLUSTER_CONF="max_locks_per_transaction = 4096" start_cluster
WORK=$(mktemp -d)
trap 'stop_cluster; rm -rf "$WORK"' EXIT

PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# One database with n tables, then a copy of it.
build() {
    local db=$1 n=$2
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db"
    "${PSQL[@]}" -d "$db" <<SQL
DO \$\$
BEGIN
    FOR i IN 1..$n LOOP
        EXECUTE format('CREATE TABLE t%s (id integer PRIMARY KEY, c1 text NOT NULL, c2 integer DEFAULT 0,
            c3 numeric(10,2), c4 timestamptz DEFAULT now(), c5 boolean, c6 varchar(40), c7 bigint,
            c8 date, c9 jsonb)', i);
        EXECUTE format('CREATE INDEX t%s_c1_idx ON t%s (c1)', i, i);
    END LOOP;
    FOR i IN 1..200 LOOP
        EXECUTE format('CREATE VIEW v%s AS SELECT id, c1, c2 FROM t%s WHERE c2 > %s', i, i, i);
        EXECUTE format('CREATE FUNCTION f%s(x integer) RETURNS integer LANGUAGE sql AS %L',
                       i, 'SELECT x + ' || i);
    END LOOP;
END
\$\$;
SQL
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE ${db}_copy TEMPLATE $db"
}

# The floor script: pum's queries with empty filters, in a transaction and
# session set up exactly as pum sets up its own.
FLOOR_SQL="$WORK/floor.sql"
{
    echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
    echo "SET LOCAL search_path = pg_catalog; SET LOCAL jit = off;"
    echo "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '64MB';"
    for f in "$ROOT"/src/catalog/sql/*.sql; do
        [ "$(basename "$f")" = prelude.sql ] && continue
        cat "$ROOT/src/catalog/sql/prelude.sql" "$f" | sed -E 's/\$[123]::text\[\]/'"'{}'"'::text[]/g'
        echo ";"
    done
    echo "COMMIT;"
} >"$FLOOR_SQL"

floor_once() {
    local t0 t1
    t0=$(now)
    "${PSQL[@]}" -At -d "$1" -f "$FLOOR_SQL" -o /dev/null &
    "${PSQL[@]}" -At -d "$2" -f "$FLOOR_SQL" -o /dev/null &
    wait
    t1=$(now)
    elapsed "$t0" "$t1"
}

pum_once() {
    local t0 t1 code=0
    t0=$(now)
    "$PUM" -q check -p1 "dbname=$1" -p2 "dbname=$2" >/dev/null || code=$?
    t1=$(now)
    [ "$code" = 0 ] || { echo "pum check exited $code on identical databases" >&2; exit 1; }
    elapsed "$t0" "$t1"
}

measure() {
    local db=$1 n=$2 floors=() pums=() i
    for i in $(seq 1 "$RUNS"); do
        floors+=("$(floor_once "$db" "${db}_copy")")
        pums+=("$(pum_once "$db" "${db}_copy")")
    done
    local floor pum
    floor=$(best "${floors[@]}")
    pum=$(best "${pums[@]}")
    echo "tables:              $n (x10 columns, PK + index each; 200 views, 200 functions)"
    echo "psql floor:          ${floor} s   (best of $RUNS)"
    echo "pum check:           ${pum} s   (best of $RUNS)"
    echo "ratio pum/floor:     $(awk -v p="$pum" -v f="$floor" 'BEGIN { printf "%.2f", p / f }')x (target <= 1.50x)"
}

max_rss_kb() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
    else
        # Without GNU time: sample VmHWM from /proc until the process ends.
        "$@" >/dev/null &
        local pid=$! hwm=0 v
        while kill -0 "$pid" 2>/dev/null; do
            v=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
            [ -n "$v" ] && hwm=$v
            sleep 0.02
        done
        wait "$pid" || true
        echo "$hwm"
    fi
}

build small "$TABLES"
measure small "$TABLES"

if [ "$BIG" != 0 ]; then
    echo
    build big "$BIG"
    measure big "$BIG"
    rss=$(max_rss_kb "$PUM" -q check -p1 "dbname=big" -p2 "dbname=big_copy")
    echo "pum max RSS:         $((rss / 1024)) MB (target < 300 MB; wall time target < 3 s)"
fi
