//! Which tables a run works through, in the configured order: names as
//! written, globs over what exists (the database's tables for an export,
//! the store's folders for an import), each table once.

use postgres::Client;

use crate::config::Ordered;
use crate::db::{QualifiedName, SYSTEM_SCHEMA_FILTER};
use crate::error::{Error, Result};

use super::location::Store;
use crate::glob;

/// One table of a run and its settings.
#[derive(Debug, Clone)]
pub struct Job<T> {
    /// Always schema-qualified.
    pub table: QualifiedName,
    /// How the table is named in the store, the manifest and reports
    /// (`public.product`, `"Odd Schema"."T"`).
    pub key: String,
    pub settings: T,
}

/// Expands `entries` over `candidates` (schema, name), which is only asked
/// for when a glob needs it. `what` says where globs look ("tables of the
/// source database").
pub fn expand<T: Clone>(
    entries: &Ordered<T>,
    section: &str,
    what: &str,
    candidates: impl FnOnce() -> Result<Vec<(String, String)>>,
) -> Result<Vec<Job<T>>> {
    let mut candidates = Some(candidates);
    let mut known: Option<Vec<(String, String)>> = None;
    let mut jobs: Vec<Job<T>> = Vec::new();
    for (entry, settings) in &entries.0 {
        let found = if glob::is_glob(entry) {
            if known.is_none() {
                known = Some((candidates.take().expect("asked once"))()?);
            }
            let hits: Vec<QualifiedName> = known
                .iter()
                .flatten()
                .filter(|(s, n)| glob::matches(entry, &format!("{s}.{n}")))
                .map(|(s, n)| QualifiedName {
                    schema: Some(s.clone()),
                    name: n.clone(),
                })
                .collect();
            if hits.is_empty() {
                return Err(Error::Settings(format!(
                    "{section}.tables: {entry:?} matches none of the {what}"
                )));
            }
            hits
        } else {
            vec![qualified(entry, section)?]
        };
        for table in found {
            let key = check_key(&table, section)?;
            if jobs.iter().all(|j| j.key != key) {
                jobs.push(Job {
                    table,
                    key,
                    settings: settings.clone(),
                });
            }
        }
    }
    Ok(jobs)
}

/// A table name as written; without a schema it is in `public`.
fn qualified(entry: &str, section: &str) -> Result<QualifiedName> {
    let mut name = QualifiedName::parse(entry)
        .map_err(|e| Error::Settings(format!("{section}.tables: {e}")))?;
    name.schema.get_or_insert_with(|| "public".to_string());
    Ok(name)
}

/// The table's key, refused when it could not be a folder name.
fn check_key(table: &QualifiedName, section: &str) -> Result<String> {
    let key = table.to_string();
    if key.contains('/') || key.starts_with('.') {
        return Err(Error::Settings(format!(
            "{section}.tables: table {key}: its name cannot be a folder name (a '/' or a leading '.')"
        )));
    }
    Ok(key)
}

/// The source database's tables, views and foreign tables, for export globs.
pub fn database_tables(client: &mut Client) -> Result<Vec<(String, String)>> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {SYSTEM_SCHEMA_FILTER}
          ORDER BY 1, 2"
    );
    let rows = client
        .query(&sql, &[])
        .map_err(|e| Error::sql("listing the tables for the export's globs", e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The tables the store holds files of (its folders), for import globs.
pub fn stored_tables(store: &dyn Store) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for folder in store.list("")? {
        let Some(name) = folder.strip_suffix('/') else {
            continue;
        };
        if let Ok(QualifiedName {
            schema: Some(schema),
            name,
        }) = QualifiedName::parse(name)
        {
            out.push((schema, name));
        }
    }
    Ok(out)
}

/// `{table}` in a query replaced by the quoted table name.
pub fn substitute(query: &str, table: &QualifiedName) -> String {
    query.replace("{table}", &table.quoted())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(keys: &[&str]) -> Ordered<u8> {
        Ordered(keys.iter().map(|k| (k.to_string(), 0)).collect())
    }

    #[test]
    fn globs_expand_in_name_order_and_each_table_runs_once() {
        let have = || {
            Ok(vec![
                ("public".into(), "sale".into()),
                ("public".into(), "store".into()),
                ("public".into(), "product".into()),
            ])
        };
        let jobs = expand(
            &ordered(&["public.store", "public.s*", "product"]),
            "export",
            "tables",
            have,
        )
        .unwrap();
        let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
        assert_eq!(keys, ["public.store", "public.sale", "public.product"]);
    }

    #[test]
    fn a_glob_matching_nothing_is_an_error() {
        let err = expand(&ordered(&["x.*"]), "export", "tables", || Ok(vec![])).unwrap_err();
        assert!(err.to_string().contains("\"x.*\" matches none"), "{err}");
    }

    #[test]
    fn table_placeholder_is_the_quoted_name() {
        let t = QualifiedName::parse("\"Odd\".t").unwrap();
        assert_eq!(
            substitute("SELECT * FROM {table}", &t),
            "SELECT * FROM \"Odd\".\"t\""
        );
    }
}
