//! The `pum_migrations` table of pum 1.x: its DDL (table version 3),
//! creating it, bringing an older one up to date as pum 1.x does, reading it,
//! and writing rows in exactly the shape pum 1.x writes, so both tools can
//! take turns on one database. This module never decides what to apply.

use postgres::GenericClient;
use serde::Serialize;

use crate::db::{quote_ident, quote_literal, QualifiedName};
use crate::error::{Error, Result};
use crate::output::Printer;

/// The table name is fixed by pum 1.x; only its schema is configurable.
pub const TABLE_NAME: &str = "pum_migrations";

/// The table layout version pum 1.x 1.9 creates and writes.
pub const MIGRATION_TABLE_VERSION: i32 = 3;

/// What goes into `pum_version`: the pum 1.x release whose table and rows
/// this tool reproduces, with a local label naming this tool (still a valid
/// version for pum 1.x's parser).
pub const PUM_VERSION: &str = concat!("1.9.2+pumrs.", env!("CARGO_PKG_VERSION"));

/// The pum 1.x release whose table this tool creates: the column default
/// is its version alone, so a table created here is the one pum 1.x
/// creates, to the letter (the rows still name this tool).
pub const PUM1_RELEASE: &str = "1.9.2";

/// One row, for display and planning.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationRow {
    pub id: String,
    /// `YYYY-MM-DD HH:MM:SS` (the column has no time zone).
    pub date_installed: String,
    pub module: String,
    pub version: String,
    pub beta_testing: bool,
    pub changelog_files: Vec<String>,
    pub parameters: serde_json::Value,
    pub migration_table_version: String,
    /// `None` on rows written before table version 3.
    pub pum_version: Option<String>,
}

/// A row to write.
pub struct NewRow<'a> {
    pub module: &'a str,
    pub version: &'a str,
    pub changelog_files: &'a [String],
    pub parameters: &'a serde_json::Value,
    /// Installed or upgraded with `--beta-testing` (or on top of such a row).
    pub beta_testing: bool,
}

pub fn exists(client: &mut impl GenericClient, table: &QualifiedName) -> Result<bool> {
    crate::db::relation_exists(client, &table.quoted(), format!("looking for {table}"))
}

/// Other schemas holding a `pum_migrations` table (another module in the same database).
pub fn other_schemas(client: &mut impl GenericClient, schema: &str) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND n.nspname <> $2 ORDER BY 1",
            &[&TABLE_NAME, &schema],
        )
        .map_err(|e| Error::sql("looking for other pum_migrations tables", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Creates the table (and its schema unless it is `public`) with pum 1.x's DDL.
pub fn create(client: &mut impl GenericClient, table: &QualifiedName) -> Result<()> {
    let mut sql = String::new();
    if let Some(schema) = table.schema.as_deref().filter(|s| *s != "public") {
        sql.push_str(&format!(
            "CREATE SCHEMA IF NOT EXISTS {};\n",
            quote_ident(schema)
        ));
    }
    sql.push_str(&format!(
        "CREATE TABLE IF NOT EXISTS {t} (
    id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
    date_installed timestamp without time zone NOT NULL DEFAULT now(),
    module character varying(50) NOT NULL,
    version character varying(50) NOT NULL,
    beta_testing boolean NOT NULL DEFAULT false,
    changelog_files text[],
    parameters jsonb,
    migration_table_version integer NOT NULL DEFAULT {v},
    pum_version character varying(50) NOT NULL DEFAULT {p}
);
COMMENT ON TABLE {t} IS {c};",
        t = table.quoted(),
        v = MIGRATION_TABLE_VERSION,
        p = quote_literal(PUM1_RELEASE),
        c = quote_literal(&format!(
            "migration_table_version: {MIGRATION_TABLE_VERSION}"
        )),
    ));
    client
        .batch_execute(&sql)
        .map_err(|e| Error::sql(format!("creating {table}"), e))
}

/// Brings a table written by an older pum 1.x to version 3, as pum 1.x does
/// before it writes: version 2 gains the `pum_version` column. Version 1
/// tables (text `migration_table_version`) are refused.
pub fn update_layout(client: &mut impl GenericClient, table: &QualifiedName) -> Result<()> {
    let rows = client
        .query(
            "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped",
            &[&table.quoted()],
        )
        .map_err(|e| Error::sql(format!("reading the columns of {table}"), e))?;
    let column = |name: &str| -> Option<String> {
        rows.iter()
            .find(|r| r.get::<_, String>(0) == name)
            .map(|r| r.get(1))
    };
    for needed in [
        "id",
        "date_installed",
        "module",
        "version",
        "beta_testing",
        "changelog_files",
        "parameters",
    ] {
        if column(needed).is_none() {
            return Err(Error::State(format!(
                "{table} has no column {needed}; it was not written by pum 1.x"
            )));
        }
    }
    if column("migration_table_version").as_deref() != Some("integer") {
        return Err(Error::State(format!(
            "{table} has the first pum 1.x layout (migration_table_version is not an integer); \
             run pum 1.x's upgrade once to update it"
        )));
    }
    if column("pum_version").is_none() {
        client
            .batch_execute(&format!(
                "ALTER TABLE {t} ADD COLUMN IF NOT EXISTS pum_version character varying(50);
COMMENT ON TABLE {t} IS {c};",
                t = table.quoted(),
                c = quote_literal(&format!(
                    "migration_table_version: {MIGRATION_TABLE_VERSION}"
                )),
            ))
            .map_err(|e| Error::sql(format!("adding pum_version to {table}"), e))?;
    }
    Ok(())
}

/// Every row, oldest first.
pub fn read(client: &mut impl GenericClient, table: &QualifiedName) -> Result<Vec<MigrationRow>> {
    // to_jsonb(t) reads pum_version without failing on tables that lack it.
    let sql = format!(
        "SELECT id::text, to_char(date_installed, 'YYYY-MM-DD HH24:MI:SS'), coalesce(module::text, ''), \
                version::text, coalesce(beta_testing, false), coalesce(changelog_files, '{{}}')::text[], \
                coalesce(parameters, '{{}}'::jsonb)::text, coalesce(migration_table_version::text, ''), \
                to_jsonb(t) ->> 'pum_version' \
         FROM {} t ORDER BY date_installed, version",
        table.quoted()
    );
    let rows = client
        .query(&sql, &[])
        .map_err(|e| Error::sql(format!("reading {table}"), e))?;
    Ok(rows
        .iter()
        .map(|r| {
            let params: String = r.get(6);
            MigrationRow {
                id: r.get(0),
                date_installed: r.get(1),
                module: r.get(2),
                version: r.get(3),
                beta_testing: r.get(4),
                changelog_files: r.get(5),
                parameters: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
                migration_table_version: r.get(7),
                pum_version: r.get(8),
            }
        })
        .collect())
}

/// Writes one row (in the caller's transaction).
pub fn record(
    client: &mut impl GenericClient,
    table: &QualifiedName,
    row: &NewRow<'_>,
) -> Result<()> {
    let params = row.parameters.to_string();
    let files: Vec<String> = row.changelog_files.to_vec();
    client
        .execute(
            &format!(
                "INSERT INTO {} (module, version, beta_testing, migration_table_version, changelog_files, parameters, pum_version) \
                 VALUES ($1, $2, $7, $3, $4, $5::text::jsonb, $6)",
                table.quoted()
            ),
            &[
                &row.module,
                &row.version,
                &MIGRATION_TABLE_VERSION,
                &files,
                &params,
                &PUM_VERSION,
                &row.beta_testing,
            ],
        )
        .map_err(|e| Error::sql(format!("recording version {} in {table}", row.version), e))?;
    Ok(())
}
/// pum 1.x refuses to install a module into a database that holds another
/// module's `pum_migrations` unless told that several modules share it.
pub fn refuse_other_modules(others: &[String], allowed: bool, printer: &Printer) -> Result<()> {
    if others.is_empty() {
        return Ok(());
    }
    let list = others.join(", ");
    if !allowed {
        return Err(Error::State(format!(
            "a pum_migrations table exists in schema(s) {list}: another module is installed in this database; \
             pass --allow-multiple-modules if they are meant to share it (nothing was changed)"
        )));
    }
    printer.warn(format!(
        "pum_migrations tables exist in schema(s) {list} too: another module shares this database"
    ));
    Ok(())
}
