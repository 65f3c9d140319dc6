#!/usr/bin/env bash
# pum test-and-upgrade --dry-run vs the floor: pg_dump -Fc | pg_restore into
# an empty database, then the same 5 deltas through psql. Rehearsed on a
# logical copy (pg_dump | pg_restore into a sandbox cluster, streamed and
# with -j 2) and on a physical one (pg_basebackup of the whole cluster,
# started as a private server), all in the same run.
# Usage: bench/rehearsal.sh [ROWS]   (default 5000000 rows, about 1 GB on disk;
# BENCH_ROWS=200000 bench/rehearsal.sh for a quick run)
source "$(dirname "$0")/lib.sh"
ROWS=${1:-${BENCH_ROWS:-5000000}}
PUM=$(pum_bin)
start_cluster
WORK=$(mktemp -d)
trap 'stop_cluster; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

mkdir "$WORK/deltas"
cat >"$WORK/deltas/delta_1.0.1_status.sql" <<'SQL'
ALTER TABLE app.events ADD COLUMN status text NOT NULL DEFAULT 'new';
SQL
cat >"$WORK/deltas/delta_1.0.2_kind_index.sql" <<'SQL'
CREATE INDEX events_kind_created_idx ON app.events (kind, created);
SQL
cat >"$WORK/deltas/delta_1.0.3_daily.sql" <<'SQL'
CREATE VIEW app.daily AS SELECT date_trunc('day', created) AS day, kind, count(*) AS n, sum(amount) AS total
FROM app.events GROUP BY 1, 2;
SQL
cat >"$WORK/deltas/delta_1.0.4_tags.sql" <<'SQL'
CREATE TABLE app.tag (id serial PRIMARY KEY, event_id bigint NOT NULL REFERENCES app.events (id), tag text NOT NULL);
SQL
cat >"$WORK/deltas/delta_1.0.5_total.sql" <<'SQL'
CREATE FUNCTION app.total(k text) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT sum(amount) FROM app.events WHERE kind = k $$;
SQL
cat >"$WORK/base.sql" <<'SQL'
CREATE SCHEMA app;
CREATE TABLE app.events (id bigserial PRIMARY KEY, created timestamptz NOT NULL, kind text NOT NULL,
                         payload text NOT NULL, amount numeric(12, 2) NOT NULL);
CREATE INDEX events_kind_idx ON app.events (kind);
CREATE TABLE app.accounts (id serial PRIMARY KEY, name text NOT NULL, notes text);
SQL

echo "generating production ($ROWS rows) ..."
createdb prod
psql -X -q -v ON_ERROR_STOP=1 -d prod -f "$WORK/base.sql"
psql -X -q -v ON_ERROR_STOP=1 -d prod -c "
INSERT INTO app.events (created, kind, payload, amount)
SELECT now() - g * interval '1 second', 'k' || (g % 50), repeat(md5(g::text), 4), (g % 100000) * 0.01
FROM generate_series(1, $ROWS) g;
INSERT INTO app.accounts (name, notes) SELECT 'a' || g, repeat('x', 100) FROM generate_series(1, 100000) g;"
psql -X -q -d prod -c "VACUUM ANALYZE"
"$PUM" -q baseline -p dbname=prod -t public.pum_upgrades -b 1.0.0 >/dev/null
size=$(psql -X -At -d prod -c "SELECT pg_size_pretty(pg_database_size('prod'))")

createdb reference
psql -X -q -v ON_ERROR_STOP=1 -d reference -f "$WORK/base.sql"
"$PUM" -q baseline -p dbname=reference -t public.pum_upgrades -b 1.0.0 >/dev/null
"$PUM" -q upgrade -p dbname=reference -t public.pum_upgrades -d "$WORK/deltas" >/dev/null

floor_copy() {
    dropdb --if-exists floor_copy
    createdb floor_copy
    pg_dump -Fc -d prod | pg_restore --no-owner --exit-on-error -d floor_copy
}
floor_deltas() {
    for f in "$WORK"/deltas/*.sql; do
        psql -X -q -v ON_ERROR_STOP=1 -d floor_copy -1 -f "$f"
    done
}
# pum_run LABEL [FLAGS...]: the report goes to $WORK/report-LABEL.json.
pum_run() {
    local label=$1
    shift
    "$PUM" -q test-and-upgrade -pp dbname=prod -pc dbname=reference -t public.pum_upgrades \
        -d "$WORK/deltas" --dry-run --report "$WORK/report-$label.json" "$@"
}
phases() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  " + ", ".join("%s %.2f s" % (p["name"], p["duration_ms"] / 1000) for p in r["phases"]))' "$1"
}

sync
floor_copy_s=$(time_of floor_copy)
floor_deltas_s=$(time_of floor_deltas)
floor=$(echo "$floor_copy_s + $floor_deltas_s" | bc -l | awk '{printf "%.3f", $1}')
# A physical copy takes every database of the cluster: not the floor's.
dropdb floor_copy
sync
pum=$(time_of pum_run stream --copy logical)
sync
pumj=$(time_of pum_run jobs --copy logical -j 2)
sync
pump=$(time_of pum_run physical --copy physical)

echo "production size: $size, 5 pending deltas"
echo "floor (pg_dump -Fc | pg_restore + psql):              ${floor} s   (copy ${floor_copy_s} s, deltas ${floor_deltas_s} s)"
echo "pum test-and-upgrade --dry-run --copy logical:       ${pum} s   ratio $(ratio "$pum" "$floor")x (target <= 1.10x)"
phases "$WORK/report-stream.json"
echo "pum test-and-upgrade --dry-run --copy logical -j 2:  ${pumj} s   ratio $(ratio "$pumj" "$floor")x (target < 1.00x)"
phases "$WORK/report-jobs.json"
echo "pum test-and-upgrade --dry-run --copy physical:      ${pump} s   ratio $(ratio "$pump" "$floor")x (target <= 0.50x)"
phases "$WORK/report-physical.json"
copy_s() {
    python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["copy_ms"] / 1000))' "$1"
}
logical_copy=$(copy_s "$WORK/report-stream.json")
physical_copy=$(copy_s "$WORK/report-physical.json")
echo "the copy alone: floor pg_dump -Fc | pg_restore ${floor_copy_s} s; pum logical ${logical_copy} s" \
    "($(ratio "$logical_copy" "$floor_copy_s")x); pum physical ${physical_copy} s ($(ratio "$physical_copy" "$floor_copy_s")x)"
