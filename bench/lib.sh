# Shared helpers for the benchmark scripts: a throw-away PostgreSQL cluster
# on a unix socket in a temporary directory, removed on exit.
# Usage: source bench/lib.sh; start_cluster; ... ; (stopped by the EXIT trap)
# CLUSTER_CONF may hold extra postgresql.conf lines.

set -euo pipefail

find_bindir() {
    if [ -n "${PUM_PG_BINDIR:-}" ]; then echo "$PUM_PG_BINDIR"; return; fi
    local d
    d=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$d" ]; then echo "$d"; return; fi
    dirname "$(command -v initdb)"
}

# Runs a server binary as the postgres OS user when we are root.
as_server_user() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_cluster() {
    BINDIR=$(find_bindir)
    CLUSTER_DIR=$(mktemp -d /tmp/pum-bench-XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres: "$CLUSTER_DIR"
    chmod 700 "$CLUSTER_DIR"
    as_server_user "$BINDIR/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
    PGPORT_BENCH=$((20000 + RANDOM % 20000))
    cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
port = $PGPORT_BENCH
unix_socket_directories = '$CLUSTER_DIR'
listen_addresses = ''
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
max_wal_size = 4GB
checkpoint_timeout = 30min
maintenance_work_mem = 256MB
${CLUSTER_CONF:-}
CONF
    as_server_user "$BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null
    trap stop_cluster EXIT
    export PGHOST="$CLUSTER_DIR" PGPORT="$PGPORT_BENCH" PGUSER=postgres
    unset PGSERVICE PGSERVICEFILE PGDATABASE PGPASSWORD
}

stop_cluster() {
    as_server_user "$BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
}

# Seconds (with milliseconds) taken by a command.
time_of() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l | awk '{printf "%.3f", $1}'
}

ratio() {
    echo "$1 / $2" | bc -l | awk '{printf "%.2f", $1}'
}

# The release build of this checkout, or PUM_BIN when set (to compare
# another build with the same script).
pum_bin() {
    if [ -n "${PUM_BIN:-}" ]; then echo "$PUM_BIN"; return; fi
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    (cd "$root" && cargo build --release --quiet)
    echo "$root/target/release/pum"
}

# DIR/delta_1.0.1.sql … delta_1.0.N.sql, each creating a table and an index.
write_table_deltas() {
    local dir=$1 n=$2 i
    mkdir -p "$dir"
    for i in $(seq 1 "$n"); do
        printf 'CREATE TABLE t_%d (id integer PRIMARY KEY, label text NOT NULL);\nCREATE INDEX t_%d_label_idx ON t_%d (label);\n' \
            "$i" "$i" "$i" >"$dir/delta_1.0.$i.sql"
    done
}

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

# Best-of timing: each step runs several times (floor and pum alternating, so
# load from other processes hits both alike) and best[KEY] keeps the fastest.
declare -A best
record() {
    if [[ -z "${best[$1]:-}" ]] || (($(echo "$2 < ${best[$1]}" | bc))); then
        best[$1]=$2
    fi
}
# Runs a step and records its time under KEY. Every step starts with the
# previous step's writes on disk, so neither side pays for the other's
# write-back.
timed() {
    local key=$1 t
    shift
    sync
    t=$(now)
    "$@" >/dev/null
    record "$key" "$(elapsed "$t")"
}
