//! What a restored copy is compared on besides its schema: the exact row
//! count of every table and the foreign keys, each read with one statement
//! per database.

use std::collections::BTreeMap;

use postgres::Client;

use crate::db::SYSTEM_SCHEMA_FILTER;
use crate::error::{Error, Result};

/// Exact row counts of every user table, by `schema.table`. One statement:
/// the server runs a `count(*)` per table (names quoted by `format('%I')`)
/// through `query_to_xml`, so the client makes a single round trip however
/// many tables there are.
pub fn row_counts(client: &mut Client) -> Result<BTreeMap<String, i64>> {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                (xpath('/row/n/text()', query_to_xml(
                    format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname),
                    false, true, '')))[1]::text::bigint
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND {SYSTEM_SCHEMA_FILTER}"
    );
    by_name(client, &sql, "counting the rows of every table")
}

/// A two-column result (name, value) as a map by name.
fn by_name<T>(client: &mut Client, sql: &str, what: &str) -> Result<BTreeMap<String, T>>
where
    T: for<'a> postgres::types::FromSql<'a>,
{
    let rows = client.query(sql, &[]).map_err(|e| Error::sql(what, e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The differences between two sets of counts, as `table: N in the
/// source, M in the copy`.
pub fn count_differences(
    source: &BTreeMap<String, i64>,
    copy: &BTreeMap<String, i64>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (table, n) in source {
        match copy.get(table) {
            Some(m) if m == n => {}
            Some(m) => out.push(format!(
                "{table}: {n} row(s) in the source, {m} in the copy"
            )),
            None => out.push(format!(
                "{table}: {n} row(s) in the source, missing in the copy"
            )),
        }
    }
    for table in copy.keys().filter(|t| !source.contains_key(*t)) {
        out.push(format!("{table}: in the copy only"));
    }
    out
}

/// Every foreign key, `schema.table.constraint`, and whether it is validated.
pub fn foreign_keys(client: &mut Client) -> Result<BTreeMap<String, bool>> {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(k.conname),
                k.convalidated
           FROM pg_constraint k
           JOIN pg_class c ON c.oid = k.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE k.contype = 'f' AND {SYSTEM_SCHEMA_FILTER}"
    );
    by_name(client, &sql, "reading the foreign keys")
}

/// The source's validated foreign keys the copy lacks or holds unvalidated.
pub fn foreign_key_problems(
    source: &BTreeMap<String, bool>,
    copy: &BTreeMap<String, bool>,
) -> Vec<String> {
    source
        .iter()
        .filter(|(_, validated)| **validated)
        .filter_map(|(name, _)| match copy.get(name) {
            Some(true) => None,
            Some(false) => Some(format!("foreign key {name} is not validated in the copy")),
            None => Some(format!("foreign key {name} is missing in the copy")),
        })
        .collect()
}

/// From pg_restore's error output, the constraint it could not add and
/// the server's reason: `foreign key public.child.child_parent_fkey could
/// not be re-created: …`.
pub fn failed_constraint(stderr: &str) -> Option<String> {
    let at = stderr.find("ADD CONSTRAINT ")?;
    let name = stderr[at + "ADD CONSTRAINT ".len()..]
        .split_whitespace()
        .next()?;
    let table = stderr[..at]
        .rfind("ALTER TABLE ")
        .and_then(|t| {
            let rest = stderr[t + "ALTER TABLE ".len()..].trim_start();
            let rest = rest.strip_prefix("ONLY ").unwrap_or(rest);
            rest.split_whitespace().next()
        })
        .map(|t| format!("{t}."))
        .unwrap_or_default();
    let reason = stderr
        .lines()
        .find(|l| l.contains("ERROR:"))
        .map(|l| {
            l.split_once("ERROR:")
                .map_or(l, |(_, r)| r)
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    let detail = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("DETAIL:"))
        .map(|d| format!(" ({})", d.trim()))
        .unwrap_or_default();
    Some(format!(
        "constraint {table}{name} could not be re-created: {reason}{detail}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constraint_pg_restore_could_not_add_is_named() {
        let stderr = "pg_restore: error: could not execute query: ERROR:  insert or update on table \"child\" violates foreign key constraint \"child_parent_id_fkey\"\n\
DETAIL:  Key (parent_id)=(99) is not present in table \"parent\".\n\
Command was: ALTER TABLE ONLY public.child\n    ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.parent(id);\n";
        let got = failed_constraint(stderr).unwrap();
        assert!(got.starts_with("constraint public.child.child_parent_id_fkey could not be re-created: insert or update"), "{got}");
        assert!(got.contains("Key (parent_id)=(99)"), "{got}");
        assert!(failed_constraint("pg_restore: error: connection failed").is_none());
    }

    #[test]
    fn counts_and_foreign_keys_are_compared_both_ways() {
        let a: BTreeMap<String, i64> = [("t".to_string(), 3), ("u".to_string(), 1)].into();
        let b: BTreeMap<String, i64> = [("t".to_string(), 2), ("v".to_string(), 0)].into();
        let d = count_differences(&a, &b);
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].contains("3 row(s) in the source, 2 in the copy"));
        let fa: BTreeMap<String, bool> = [
            ("k1".to_string(), true),
            ("k2".to_string(), true),
            ("k3".to_string(), false),
        ]
        .into();
        let fb: BTreeMap<String, bool> = [("k1".to_string(), false)].into();
        let p = foreign_key_problems(&fa, &fb);
        assert_eq!(
            p,
            [
                "foreign key k1 is not validated in the copy",
                "foreign key k2 is missing in the copy"
            ]
        );
    }
}
