//! Which schemas a schema-wise dump writes and in what order: the user
//! schemas (`-n`/`-N` as exact names), each after the schemas its
//! definitions refer to, so a restore going through the archives in that
//! order finds what each one needs.

use postgres::Client;

use crate::db::SYSTEM_SCHEMA_FILTER;
use crate::error::{Error, Result};

use super::DumpOptions;

/// The user schemas a schema-wise dump writes, in name order: every schema
/// that is not a system schema or owned by an extension, `-n` keeping only
/// the named ones and `-N` leaving the named ones out (exact names).
pub(super) fn to_dump(client: &mut Client, opts: &DumpOptions) -> Result<Vec<String>> {
    let rows = client
        .query(
            &format!(
                "SELECT n.nspname::text FROM pg_namespace n \
                 WHERE {SYSTEM_SCHEMA_FILTER} \
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass \
                                   AND d.objid = n.oid AND d.deptype = 'e') \
                 ORDER BY 1"
            ),
            &[],
        )
        .map_err(|e| Error::sql("listing the schemas to dump", e))?;
    let all: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for wanted in opts.schemas.iter().chain(&opts.exclude_schemas) {
        if !all.contains(wanted) {
            return Err(Error::Usage(format!(
                "schema {wanted:?} not found in the database (with --schema-wise, -n/-N take exact schema names)"
            )));
        }
    }
    let chosen: Vec<String> = all
        .into_iter()
        .filter(|s| opts.schemas.is_empty() || opts.schemas.contains(s))
        .filter(|s| !opts.exclude_schemas.contains(s))
        .collect();
    let edges: Vec<(String, String)> = client
        .query(include_str!("sql/schema_dependencies.sql"), &[])
        .map_err(|e| Error::sql("reading dependencies between schemas", e))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Ok(dependency_order(chosen, &edges))
}

/// Orders schemas so that each comes after the schemas its definitions
/// refer to (`edges` are `(dependent, referenced)`), ties by name; schemas
/// caught in a cycle follow in name order. A schema-wise restore goes
/// through the archives in this order.
fn dependency_order(mut schemas: Vec<String>, edges: &[(String, String)]) -> Vec<String> {
    schemas.sort();
    let mut placed: Vec<String> = Vec::with_capacity(schemas.len());
    let mut waiting = schemas;
    while !waiting.is_empty() {
        let ready = waiting.iter().position(|s| {
            edges.iter().all(|(dependent, referenced)| {
                dependent != s
                    || referenced == s
                    || placed.contains(referenced)
                    || !waiting.contains(referenced)
            })
        });
        // In a cycle nothing is ready: take the first by name and go on.
        let next = waiting.remove(ready.unwrap_or(0));
        placed.push(next);
    }
    placed
}

/// A schema name made safe as part of a file name; the manifest keeps the real name.
pub(super) fn file_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_follow_the_schemas_they_depend_on() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let edge = |a: &str, b: &str| (a.to_string(), b.to_string());
        let order = dependency_order(
            names(&["public", "audit", "Odd", "app"]),
            &[
                edge("Odd", "app"),
                edge("audit", "app"),
                edge("app", "public"),
            ],
        );
        assert_eq!(order, ["public", "app", "Odd", "audit"]);
        // Edges to schemas not dumped hold nothing back (c is ready first);
        // a cycle falls back to name order.
        let order = dependency_order(
            names(&["b", "a", "c"]),
            &[edge("a", "b"), edge("b", "a"), edge("c", "elsewhere")],
        );
        assert_eq!(order, ["c", "a", "b"]);
    }

    #[test]
    fn schema_names_become_safe_file_names() {
        assert_eq!(file_safe("public"), "public");
        assert_eq!(file_safe("a/b c"), "a_b_c");
        assert_eq!(file_safe("ünï"), "ünï");
    }
}
