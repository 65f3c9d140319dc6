#!/usr/bin/env bash
# pum upgrade vs the floor: the same delta files through one psql session,
# one transaction per file. Prints the best of ROUNDS runs of each (floor and
# pum alternating, each on a fresh database) and the ratio (target <= 1.3x).
# PUM_BASE=path also times another pum build (an older release, say) in the
# same rounds and prints this build's time against it.
# Usage: [ROUNDS=3] [PUM_BIN=path] [PUM_BASE=path] bench/upgrade.sh [NUMBER_OF_DELTAS]   (default 1000)
source "$(dirname "$0")/lib.sh"
N=${1:-1000}
ROUNDS=${ROUNDS:-3}
PUM=$(pum_bin)
start_cluster
WORK=$(mktemp -d)
trap 'stop_cluster; rm -rf "$WORK"' EXIT
write_table_deltas "$WORK/deltas" "$N"
# The floor: one psql session, BEGIN/COMMIT around each file.
for i in $(seq 1 "$N"); do
    printf 'BEGIN;\n\\i %s/deltas/delta_1.0.%d.sql\nCOMMIT;\n' "$WORK" "$i"
done >"$WORK/floor.sql"

# One pum upgrade of all the deltas on a fresh database, timed under KEY.
pum_run() {
    local key=$1 bin=$2 db=$3
    createdb -h "$PGHOST" "$db"
    "$bin" baseline -p "dbname=$db" -t public.pum_upgrades -b 1.0.0 >/dev/null
    timed "$key" "$bin" -q upgrade -p "dbname=$db" -t public.pum_upgrades -d "$WORK/deltas"
    applied=$(psql -X -At -d "$db" -c "SELECT count(*) FROM public.pum_upgrades WHERE type = 8")
    [ "$applied" = "$N" ] || { echo "$bin applied $applied of $N deltas" >&2; exit 1; }
    dropdb -h "$PGHOST" "$db"
}

for round in $(seq 1 "$ROUNDS"); do
    createdb -h "$PGHOST" "floor_$round"
    timed floor psql -X -q -v ON_ERROR_STOP=1 -d "floor_$round" -f "$WORK/floor.sql"
    dropdb -h "$PGHOST" "floor_$round"
    pum_run pum "$PUM" "pum_$round"
    if [ -n "${PUM_BASE:-}" ]; then
        pum_run base "$PUM_BASE" "base_$round"
    fi
done

echo "deltas:              $N (best of $ROUNDS)"
printf 'psql (floor):        %.3f s\n' "${best[floor]}"
printf 'pum upgrade:         %.3f s\n' "${best[pum]}"
echo "ratio pum/floor:     $(ratio "${best[pum]}" "${best[floor]}")x (target <= 1.30x)"
if [ -n "${PUM_BASE:-}" ]; then
    printf 'base pum upgrade:    %.3f s (%s)\n' "${best[base]}" "$PUM_BASE"
    echo "ratio base/floor:    $(ratio "${best[base]}" "${best[floor]}")x"
    echo "ratio pum/base:      $(ratio "${best[pum]}" "${best[base]}")x"
fi
