//! What keeps a restore from destroying something by accident: the
//! `allow_restore: false` switch in pum.yaml — applied to the database the
//! service reaches, whatever spelling names it —, databases a caller
//! protects (a rehearsal protects production and the reference) and the
//! refusal to restore over existing user objects (unless `--clean`, which
//! empties the database first). The refusal to rename a database other
//! sessions are using is [`crate::db::database::require_no_sessions`].

use postgres::Client;

use crate::config::Config;
use crate::db::identity::{self, DatabaseId, Located};
use crate::db::{quote_ident, SYSTEM_SCHEMA_FILTER};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::{ConnParams, Environment};

/// A database that no restore may write into, and what it is.
#[derive(Debug, Clone)]
pub struct Protected {
    pub id: DatabaseId,
    /// Said in the refusal: "production (service prod)".
    pub what: String,
}

/// Refuses when `here` is one of the protected databases. `role` says what
/// the restore was going to do with it ("the test database").
pub fn refuse_protected(here: &Located, protected: &[Protected], role: &str) -> Result<()> {
    let Some(hit) = protected
        .iter()
        .find(|p| here.is(&Located::Exists(p.id.clone())))
    else {
        return Ok(());
    };
    Err(Error::Refused(format!(
        "{role} (database {} on the same server) is {} — the same database (OID {}), \
         only spelt differently; pum never writes into it, nothing was changed",
        here.name(),
        hit.what,
        hit.id.oid
    )))
}

/// The databases of every service pum.yaml marks `allow_restore: false`,
/// found by asking their servers. A service that cannot be reached cannot
/// be recognised under another spelling: a warning says so.
pub fn protected_services(config: &Config, env: &Environment, printer: &Printer) -> Vec<Protected> {
    let mut out = Vec::new();
    for name in config.restore_protected_services() {
        let found = ConnParams::resolve(name, env).and_then(|p| identity::locate(&p));
        match found {
            Ok(Located::Exists(id)) => out.push(Protected {
                id,
                what: format!("service {name}, marked allow_restore: false in pum.yaml"),
            }),
            Ok(Located::Missing { .. }) => {}
            Err(e) => printer.warn(format!(
                "cannot check whether the target is service {name} (allow_restore: false) \
                 under another name: {e}"
            )),
        }
    }
    out
}

/// Refuses when pum.yaml marks the service `allow_restore: false`.
/// `service` is what the user passed to `-p` (or `PGSERVICE`); URIs and
/// conninfo strings have no entry in the map and are allowed.
pub fn check_allowed(config: &Config, service: Option<&str>) -> Result<()> {
    match service {
        Some(name) if !config.allows_restore(name) => Err(Error::Refused(format!(
            "service {name} is marked allow_restore: false in pum.yaml; pum restore never writes into it"
        ))),
        _ => Ok(()),
    }
}

/// Up to `limit` user objects of the database, as `kind schema.name`:
/// relations, functions and types in non-system schemas that no extension
/// owns, and (unless `schemas_may_exist`) user schemas other than `public`.
/// A schema holding anything is found through what it holds either way.
pub fn user_objects(
    client: &mut Client,
    limit: i64,
    schemas_may_exist: bool,
) -> Result<Vec<String>> {
    let not_extension = |catalog: &str, oid: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass \
             AND d.objid = {oid} AND d.deptype = 'e')"
        )
    };
    let sql = format!(
        "SELECT kind || ' ' || quote_ident(schema) || coalesce('.' || quote_ident(name), '') FROM (
           SELECT 'relation' AS kind, n.nspname AS schema, c.relname::text AS name
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE {sys} AND {ext_c}
           UNION ALL
           SELECT 'function', n.nspname, p.proname::text
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE {sys} AND {ext_p}
           UNION ALL
           SELECT 'type', n.nspname, t.typname::text
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE {sys} AND {ext_t} AND t.typrelid = 0 AND t.typcategory <> 'A'
           UNION ALL
           SELECT 'schema', n.nspname, NULL
             FROM pg_namespace n
            WHERE {sys} AND n.nspname <> 'public' AND {ext_n} AND NOT $2
         ) o ORDER BY 1 LIMIT $1",
        sys = SYSTEM_SCHEMA_FILTER,
        ext_c = not_extension("pg_class", "c.oid"),
        ext_p = not_extension("pg_proc", "p.oid"),
        ext_t = not_extension("pg_type", "t.oid"),
        ext_n = not_extension("pg_namespace", "n.oid"),
    );
    let rows = client
        .query(&sql, &[&limit, &schemas_may_exist])
        .map_err(|e| Error::sql("looking for user objects in the target database", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Refuses to restore into a database that already holds user objects.
/// With `ignore_errors` (`restore -x`, as pum 0.x is used to restore over a
/// database prepared with its schemas) schemas holding nothing are allowed:
/// pg_restore's "already exists" for them is one of the errors ignored.
/// Tables, data, functions and types are refused either way.
pub fn require_empty(client: &mut Client, dbname: &str, ignore_errors: bool) -> Result<()> {
    let found = user_objects(client, 6, ignore_errors)?;
    if found.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = found.iter().take(5).map(String::as_str).collect();
    let more = if found.len() > 5 { ", ..." } else { "" };
    let only_schemas = !ignore_errors && found.iter().all(|f| f.starts_with("schema "));
    Err(Error::Refused(format!(
        "database {dbname} is not empty ({}{more}); restoring over it would mix two databases. \
         Pass --clean to drop its schemas first, --swap to restore beside it and switch, \
         or --into/--create for another database{}",
        shown.join(", "),
        if only_schemas {
            "; its schemas are empty: -x/--ignore-errors restores over them (pum 0.x)"
        } else {
            ""
        }
    )))
}

/// Empties the database for `--clean`: drops every user schema (cascading to
/// everything in it, extensions included) and recreates `public` the way
/// `CREATE DATABASE` makes it for this server version. Chosen over
/// `pg_restore --clean`, which only drops what the archive contains and
/// would leave other objects behind to clash with or outlive the restore.
pub fn clean(client: &mut Client) -> Result<()> {
    let schemas: Vec<String> = client
        .query(
            &format!(
                "SELECT n.nspname::text FROM pg_namespace n WHERE {SYSTEM_SCHEMA_FILTER} ORDER BY 1"
            ),
            &[],
        )
        .map_err(|e| Error::sql("listing schemas to drop", e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let server_num = crate::db::server_version_num(client)?;
    let mut sql = String::from("BEGIN;\n");
    for schema in &schemas {
        sql.push_str(&format!("DROP SCHEMA {} CASCADE;\n", quote_ident(schema)));
    }
    if server_num >= 150000 {
        sql.push_str(
            "CREATE SCHEMA public AUTHORIZATION pg_database_owner;\n\
             GRANT USAGE ON SCHEMA public TO PUBLIC;\n",
        );
    } else {
        sql.push_str(
            "CREATE SCHEMA public;\n\
             GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC;\n",
        );
    }
    sql.push_str("COMMENT ON SCHEMA public IS 'standard public schema';\nCOMMIT;\n");
    client
        .batch_execute(&sql)
        .map_err(|e| Error::sql("emptying the target database (--clean)", e))
}
