//! The lint rules: stable ids, what each warns about, why it hurts on a
//! live database and what to write instead. SARIF's rule list and the
//! README are written from this one table.

/// One rule of `pum lint`.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, used in findings and in `-- pum:allow` comments.
    pub id: &'static str,
    /// One line: what was found.
    pub short: &'static str,
    /// Why it hurts.
    pub full: &'static str,
    /// What to do instead.
    pub help: &'static str,
}

pub const INDEX: &str = "index-without-concurrently";
pub const COLUMN_TYPE: &str = "alter-column-type";
pub const VOLATILE_DEFAULT: &str = "volatile-default";
pub const SET_NOT_NULL: &str = "set-not-null";
pub const NOT_VALID: &str = "constraint-without-not-valid";
pub const VACUUM_FULL: &str = "vacuum-full";
pub const CLUSTER: &str = "cluster";
pub const RENAME_COLUMN: &str = "rename-column";
pub const DROP_COLUMN: &str = "drop-column";
pub const LOCK_TABLE: &str = "lock-table";
pub const LOCK_TIMEOUT: &str = "missing-lock-timeout";
/// Not a rule about SQL: an allow comment naming no known rule.
pub const UNKNOWN_ALLOW: &str = "unknown-rule-in-allow";

pub const RULES: &[Rule] = &[
    Rule {
        id: INDEX,
        short: "index built without CONCURRENTLY on an existing table",
        full: "CREATE INDEX (and ADD PRIMARY KEY / UNIQUE without USING INDEX) holds a lock \
               that blocks every write to the table for as long as the index takes to build",
        help: "use CREATE INDEX CONCURRENTLY in a `-- pum:no-transaction` delta \
               (then ADD CONSTRAINT ... USING INDEX for a key)",
    },
    Rule {
        id: COLUMN_TYPE,
        short: "column type changed with ALTER COLUMN ... TYPE",
        full: "changing a column's type rewrites the table and its indexes under an ACCESS \
               EXCLUSIVE lock (reads and writes wait) unless the types are binary-compatible",
        help: "add a new column, backfill it in batches, switch the application, then drop the old one",
    },
    Rule {
        id: VOLATILE_DEFAULT,
        short: "column added with a volatile default",
        full: "ADD COLUMN with a volatile default (random(), clock_timestamp(), gen_random_uuid(), \
               nextval(), serial, identity, a stored generated column) rewrites the whole table under \
               an ACCESS EXCLUSIVE lock; a constant or stable default such as now() does not on PostgreSQL 11+",
        help: "add the column without a default (or with a constant one), set the default \
               afterwards, and backfill existing rows in batches",
    },
    Rule {
        id: SET_NOT_NULL,
        short: "SET NOT NULL without a validated CHECK (column IS NOT NULL)",
        full: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a \
               validated CHECK (column IS NOT NULL) constraint already proves it (PostgreSQL 12+)",
        help: "earlier in the delta: ADD CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID, \
               then VALIDATE CONSTRAINT c, then SET NOT NULL (and drop c)",
    },
    Rule {
        id: NOT_VALID,
        short: "foreign key or CHECK constraint added without NOT VALID",
        full: "adding a validated foreign key or CHECK scans the whole table while holding a lock \
               that blocks writes (a foreign key locks the referenced table too)",
        help: "add it with NOT VALID, then VALIDATE CONSTRAINT in a later statement, which \
               takes only a SHARE UPDATE EXCLUSIVE lock",
    },
    Rule {
        id: VACUUM_FULL,
        short: "VACUUM FULL",
        full: "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock: nothing can read \
               or write it until it is done",
        help: "use plain VACUUM, or an online tool such as pg_repack outside the upgrade",
    },
    Rule {
        id: CLUSTER,
        short: "CLUSTER",
        full: "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock: nothing can read or \
               write it until it is done",
        help: "leave physical ordering to maintenance outside the upgrade (pg_repack can reorder online)",
    },
    Rule {
        id: RENAME_COLUMN,
        short: "column renamed",
        full: "a renamed column breaks every running application instance, view user and query \
               that still uses the old name",
        help: "add the new column, write both, move the readers, then drop the old one in a \
               later release",
    },
    Rule {
        id: DROP_COLUMN,
        short: "column dropped",
        full: "dropping a column the running application still reads or writes makes its \
               queries fail as soon as the delta commits",
        help: "stop using the column in the application first, then drop it in a later release",
    },
    Rule {
        id: LOCK_TABLE,
        short: "explicit LOCK TABLE",
        full: "LOCK TABLE (ACCESS EXCLUSIVE unless a mode is given) blocks other sessions for \
               the rest of the transaction and queues everything behind it",
        help: "let each statement take the lock it needs, for as short as possible; \
               if the lock is needed, keep the transaction short and set lock_timeout",
    },
    Rule {
        id: LOCK_TIMEOUT,
        short: "delta without a transaction and without SET lock_timeout",
        full: "a `-- pum:no-transaction` delta runs statement by statement; a statement waiting \
               for a lock makes every later query on that table wait behind it, and a failure \
               halfway leaves the earlier statements applied. pum's runner gives it \
               --delta-lock-timeout (5 s unless set otherwise), but the file sets none of its own: \
               run by another tool (pum 0.x, psql) or with --delta-lock-timeout 0 it waits \
               without limit",
        help: "start the delta with SET lock_timeout = '5s' (or what the table can afford)",
    },
    Rule {
        id: UNKNOWN_ALLOW,
        short: "allow comment names an unknown rule",
        full: "a `-- pum:allow` comment names a rule pum does not have, so it silences nothing \
               (a typo, or a rule of another tool)",
        help: "write one of the rule ids `pum lint` reports, comma- or space-separated",
    },
];

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The rule with this id, which must be one of the constants above.
pub fn get(id: &str) -> &'static Rule {
    find(id).expect("every rule id constant is in RULES")
}

/// Functions whose value changes on every call (PostgreSQL marks them
/// volatile): as an ADD COLUMN default each forces a table rewrite. A
/// short list of the ones seen in defaults; a stable function such as
/// `now()` or `current_timestamp` is fine.
pub const VOLATILE_FUNCTIONS: &[&str] = &[
    "random",
    "random_normal",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "nextval",
    "txid_current",
    "pg_current_xact_id",
];

/// Column types whose implicit default is `nextval(...)`.
pub const SERIAL_TYPES: &[&str] = &[
    "serial",
    "serial2",
    "serial4",
    "serial8",
    "smallserial",
    "bigserial",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        for id in ids {
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{id}"
            );
        }
        for id in [
            INDEX,
            COLUMN_TYPE,
            VOLATILE_DEFAULT,
            SET_NOT_NULL,
            NOT_VALID,
            VACUUM_FULL,
            CLUSTER,
            RENAME_COLUMN,
            DROP_COLUMN,
            LOCK_TABLE,
            LOCK_TIMEOUT,
            UNKNOWN_ALLOW,
        ] {
            assert_eq!(get(id).id, id);
        }
    }
}
