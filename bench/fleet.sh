#!/usr/bin/env bash
# pum fleet upgrade: the same small upgrade on two fleets of databases, one
# database at a time (-j 1) and eight at a time (-j 8), in the same run.
# Prints both times and the ratio (target: -j 8 <= 0.5x of -j 1).
# Usage: bench/fleet.sh [NUMBER_OF_DATABASES] [DELTAS_PER_DATABASE]   (default 50, 5)
# The server keeps commits durable (fsync, synchronous_commit), as a
# production server does: a fleet run mostly waits on the server and its
# disk, which is what running databases side by side overlaps. Set
# FLEET_DURABLE=0 for the other benchmarks' durability-off cluster.
if [ "${FLEET_DURABLE:-1}" = 1 ]; then
    CLUSTER_CONF=$'fsync = on\nsynchronous_commit = on'
fi
source "$(dirname "$0")/lib.sh"
N=${1:-50}
D=${2:-5}
PUM=$(pum_bin)
start_cluster
WORK=$(mktemp -d)
trap 'stop_cluster; rm -rf "$WORK"' EXIT
write_table_deltas "$WORK/deltas" "$D"
for fleet in one eight; do
    for i in $(seq -w 1 "$N"); do
        createdb -h "$PGHOST" "${fleet}_$i"
        "$PUM" -q baseline -p "dbname=${fleet}_$i" -t public.pum_upgrades -b 1.0.0 >/dev/null
    done
done

upgrade() {
    "$PUM" -q fleet upgrade -p "dbname=postgres" --databases "$1_*" -j "$2" \
        -t public.pum_upgrades -d "$WORK/deltas"
}
one=$(time_of upgrade one 1)
eight=$(time_of upgrade eight 8)
for fleet in one eight; do
    applied=$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE '${fleet}\\_%'")
    [ "$applied" = "$N" ] || { echo "$fleet: $applied of $N databases" >&2; exit 1; }
    for i in 1 "$N"; do
        db=$(printf '%s_%0*d' "$fleet" "${#N}" "$i")
        done_count=$(psql -X -At -d "$db" -c "SELECT count(*) FROM public.pum_upgrades WHERE type = 8")
        [ "$done_count" = "$D" ] || { echo "$db: $done_count of $D deltas" >&2; exit 1; }
    done
done

echo "databases:           $N ($D deltas each)"
echo "fleet upgrade -j 1:  ${one} s"
echo "fleet upgrade -j 8:  ${eight} s"
echo "ratio -j 8 / -j 1:   $(ratio "$eight" "$one")x (target <= 0.50x)"
