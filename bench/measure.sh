#!/usr/bin/env bash
# What --measure costs: N deltas (a table and an index each) through
# `pum upgrade --measure` against the same deltas through a plain
# `pum upgrade` (the floor). Best of ROUNDS, the two alternating, each on a
# fresh database. Prints both times and the ratio.
# Usage: [ROUNDS=3] [PUM_BIN=path] bench/measure.sh [NUMBER_OF_DELTAS]   (default 300)
source "$(dirname "$0")/lib.sh"
N=${1:-300}
ROUNDS=${ROUNDS:-3}
PUM=$(pum_bin)
start_cluster
WORK=$(mktemp -d)
trap 'stop_cluster; rm -rf "$WORK"' EXIT
write_table_deltas "$WORK/deltas" "$N"

for round in $(seq 1 "$ROUNDS"); do
    for mode in plain measured; do
        db="${mode}_$round"
        createdb -h "$PGHOST" "$db"
        "$PUM" baseline -p "dbname=$db" -t public.pum_upgrades -b 1.0.0 >/dev/null
        flags=()
        [ "$mode" = measured ] && flags=(--measure)
        timed "$mode" "$PUM" -q upgrade "${flags[@]}" -p "dbname=$db" -t public.pum_upgrades -d "$WORK/deltas"
        dropdb -h "$PGHOST" "$db"
    done
done

echo "deltas:              $N (best of $ROUNDS)"
printf 'pum upgrade:         %.3f s\n' "${best[plain]}"
printf 'pum upgrade --measure: %.3f s\n' "${best[measured]}"
echo "ratio measured/plain: $(ratio "${best[measured]}" "${best[plain]}")x"
