#!/usr/bin/env bash
# pum upgrade vs the floor: the same delta files through one psql session,
# one transaction per file. Prints both times and the ratio (target <= 1.3x).
# Usage: bench/upgrade.sh [NUMBER_OF_DELTAS]   (default 1000)
source "$(dirname "$0")/lib.sh"
N=${1:-1000}
PUM=$(pum_bin)
start_cluster
WORK=$(mktemp -d)
trap 'stop_cluster; rm -rf "$WORK"' EXIT
mkdir "$WORK/deltas"
for i in $(seq 1 "$N"); do
    printf 'CREATE TABLE t_%d (id integer PRIMARY KEY, label text NOT NULL);\nCREATE INDEX t_%d_label_idx ON t_%d (label);\n' \
        "$i" "$i" "$i" >"$WORK/deltas/delta_1.0.$i.sql"
done
# The floor: one psql session, BEGIN/COMMIT around each file.
for i in $(seq 1 "$N"); do
    printf 'BEGIN;\n\\i %s/deltas/delta_1.0.%d.sql\nCOMMIT;\n' "$WORK" "$i"
done >"$WORK/floor.sql"

createdb -h "$PGHOST" floor
createdb -h "$PGHOST" pum
floor=$(time_of psql -X -q -v ON_ERROR_STOP=1 -d floor -f "$WORK/floor.sql")
"$PUM" baseline -p "dbname=pum" -t public.pum_upgrades -b 1.0.0 >/dev/null
pum=$(time_of "$PUM" -q upgrade -p "dbname=pum" -t public.pum_upgrades -d "$WORK/deltas")
applied=$(psql -X -At -d pum -c "SELECT count(*) FROM public.pum_upgrades WHERE type = 8")
[ "$applied" = "$N" ] || { echo "pum applied $applied of $N deltas" >&2; exit 1; }

echo "deltas:              $N"
echo "psql (floor):        ${floor} s"
echo "pum upgrade:         ${pum} s"
echo "ratio pum/floor:     $(ratio "$pum" "$floor")x (target <= 1.30x)"
