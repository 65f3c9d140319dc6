//! The upgrades table: its DDL (byte-compatible with pum 0.x), creating it,
//! recording the baseline and applied deltas, and reading it back. This
//! module never decides what to apply.

use postgres::GenericClient;

use crate::db::QualifiedName;
use crate::deltas::plan::AppliedRow;
use crate::deltas::{Delta, Version};
use crate::error::{Error, Result};

/// One row of the upgrades table, for display.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryRow {
    pub id: i32,
    pub version: String,
    pub description: String,
    #[serde(rename = "type")]
    pub type_code: i32,
    pub script: String,
    pub checksum: String,
    pub installed_by: String,
    /// `YYYY-MM-DD HH:MM:SS` in the server's time (the column has no zone).
    pub installed_on: String,
    /// Milliseconds.
    pub execution_time: i32,
    pub success: bool,
}

impl HistoryRow {
    pub fn as_applied(&self) -> AppliedRow {
        AppliedRow {
            version: self.version.clone(),
            description: self.description.clone(),
            type_code: self.type_code,
            checksum: self.checksum.clone(),
            success: self.success,
        }
    }
}

/// Whether the table exists.
pub fn exists(client: &mut impl GenericClient, table: &QualifiedName) -> Result<bool> {
    crate::db::relation_exists(
        client,
        &table.quoted(),
        format!("looking for the upgrades table {table}"),
    )
}

/// Fails with a hint to run `pum baseline` when the table is missing.
pub fn require(client: &mut impl GenericClient, table: &QualifiedName, target: &str) -> Result<()> {
    if exists(client, table)? {
        Ok(())
    } else {
        Err(Error::State(format!(
            "upgrades table {table} not found in {target}; run `pum baseline -t {table} -b VERSION` first"
        )))
    }
}

/// Creates the schema (if named and missing) and the table, with pum 0.x's DDL.
pub fn create(client: &mut impl GenericClient, table: &QualifiedName) -> Result<()> {
    let mut sql = String::new();
    if let Some(schema) = &table.schema {
        sql.push_str(&format!(
            "CREATE SCHEMA IF NOT EXISTS {};\n",
            crate::db::quote_ident(schema)
        ));
    }
    sql.push_str(&format!(
        "CREATE TABLE IF NOT EXISTS {} (
    id serial NOT NULL,
    version character varying(50) NOT NULL,
    description character varying(200) NOT NULL,
    type integer NOT NULL,
    script character varying(1000) NOT NULL,
    checksum character varying(32) NOT NULL,
    installed_by character varying(100) NOT NULL,
    installed_on timestamp without time zone NOT NULL DEFAULT now(),
    execution_time integer NOT NULL,
    success boolean NOT NULL,
    PRIMARY KEY (id),
    EXCLUDE (version WITH =) WHERE (type = 0)
)",
        table.quoted()
    ));
    client
        .batch_execute(&sql)
        .map_err(|e| Error::sql(format!("creating the upgrades table {table}"), e))
}

/// Records the baseline row (type 0). Refuses a second baseline.
pub fn record_baseline(
    client: &mut impl GenericClient,
    table: &QualifiedName,
    version: &Version,
) -> Result<()> {
    let existing = client
        .query(
            &format!(
                "SELECT version FROM {} WHERE type = 0 ORDER BY id",
                table.quoted()
            ),
            &[],
        )
        .map_err(|e| Error::sql(format!("reading {table}"), e))?;
    if let Some(row) = existing.first() {
        let v: String = row.get(0);
        return Err(Error::State(format!(
            "{table} already has a baseline (version {v}); a database is baselined once"
        )));
    }
    client
        .execute(
            &format!(
                "INSERT INTO {} (version, description, type, script, checksum, installed_by, execution_time, success) \
                 VALUES ($1, 'baseline', 0, '', '', current_user, 1, true)",
                table.quoted()
            ),
            &[&version.to_string()],
        )
        .map_err(|e| Error::sql(format!("recording the baseline in {table}"), e))?;
    Ok(())
}

fn insert_sql(table: &QualifiedName) -> String {
    format!(
        "INSERT INTO {} (version, description, type, script, checksum, installed_by, execution_time, success) \
         VALUES ($1, $2, $3, $4, $5, left(current_user, 100), $6, true)",
        table.quoted()
    )
}

/// Records applied deltas with one statement prepared for the whole run,
/// so each record is one round trip.
pub struct Recorder {
    statement: postgres::Statement,
    table: QualifiedName,
}

impl Recorder {
    pub fn prepare(client: &mut impl GenericClient, table: &QualifiedName) -> Result<Recorder> {
        let statement = client
            .prepare(&insert_sql(table))
            .map_err(|e| Error::sql(format!("preparing to record deltas in {table}"), e))?;
        Ok(Recorder {
            statement,
            table: table.clone(),
        })
    }

    /// Records an applied delta (in the caller's transaction, when it has one).
    pub fn record(
        &self,
        client: &mut impl GenericClient,
        delta: &Delta,
        execution_ms: i32,
    ) -> Result<()> {
        execute_record(client, &self.statement, &self.table, delta, execution_ms)
    }
}

/// Records an applied delta (in the caller's transaction, when it has one).
pub fn record_delta(
    client: &mut impl GenericClient,
    table: &QualifiedName,
    delta: &Delta,
    execution_ms: i32,
) -> Result<()> {
    execute_record(client, &insert_sql(table), table, delta, execution_ms)
}

fn execute_record<T: postgres::ToStatement + ?Sized>(
    client: &mut impl GenericClient,
    statement: &T,
    table: &QualifiedName,
    delta: &Delta,
    execution_ms: i32,
) -> Result<()> {
    let description: String = delta.description.chars().take(200).collect();
    client
        .execute(
            statement,
            &[
                &delta.version.to_string(),
                &description,
                &delta.kind.type_code(),
                &delta.script(),
                &delta.checksum,
                &execution_ms,
            ],
        )
        .map_err(|e| Error::sql(format!("recording {} in {table}", delta.file_name), e))?;
    Ok(())
}

/// Records `delta` as applied by `pum repair` (a new checksum, or a delta
/// applied by hand): `installed_by` says so and the execution time is 0.
pub fn record_repair(
    client: &mut impl GenericClient,
    table: &QualifiedName,
    delta: &Delta,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {} (version, description, type, script, checksum, installed_by, execution_time, success) \
         VALUES ($1, $2, $3, $4, $5, left(current_user, 86) || ' (pum repair)', $6, true)",
        table.quoted()
    );
    execute_record(client, &sql, table, delta, 0)
}

/// Every row, in the order they were written.
pub fn read(client: &mut impl GenericClient, table: &QualifiedName) -> Result<Vec<HistoryRow>> {
    let rows = client
        .query(
            &format!(
                "SELECT id, version::text, description::text, type, script::text, checksum::text, \
                 installed_by::text, to_char(installed_on, 'YYYY-MM-DD HH24:MI:SS'), execution_time, success \
                 FROM {} ORDER BY id",
                table.quoted()
            ),
            &[],
        )
        .map_err(|e| Error::sql(format!("reading the upgrades table {table}"), e))?;
    Ok(rows
        .into_iter()
        .map(|r| HistoryRow {
            id: r.get(0),
            version: r.get(1),
            description: r.get(2),
            type_code: r.get(3),
            script: r.get(4),
            checksum: r.get(5),
            installed_by: r.get(6),
            installed_on: r.get(7),
            execution_time: r.get(8),
            success: r.get(9),
        })
        .collect())
}
