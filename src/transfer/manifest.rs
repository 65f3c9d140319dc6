//! The manifest table: one row per table per run (`run_id`, `table_name`,
//! `file`, `rows`, `started_at`, `finished_at`, `ok`), created when
//! missing. A row is written when a table starts and settled when it ends,
//! so a run killed half-way shows which tables it finished; `--resume`
//! skips exactly those.

use std::collections::HashSet;

use postgres::GenericClient;

use crate::db::QualifiedName;
use crate::error::{Error, Result};

/// The manifest table of one run.
pub struct Manifest {
    pub table: QualifiedName,
    pub run_id: String,
}

/// Creates the manifest table when it is missing.
pub fn ensure(client: &mut impl GenericClient, table: &QualifiedName) -> Result<()> {
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {} (
                run_id text NOT NULL,
                table_name text NOT NULL,
                file text,
                rows bigint,
                started_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                ok boolean NOT NULL DEFAULT false,
                PRIMARY KEY (run_id, table_name)
            )",
            table.quoted()
        ))
        .map_err(|e| Error::sql(format!("creating the manifest table {table}"), e))
}

impl Manifest {
    /// The manifest table made sure of, then the run: run `resume` again,
    /// or a new one.
    pub fn open(
        client: &mut impl GenericClient,
        table: &QualifiedName,
        resume: Option<&str>,
    ) -> Result<Manifest> {
        ensure(client, table)?;
        match resume {
            Some(id) => Manifest::resume(client, table.clone(), id),
            None => Manifest::start_run(client, table.clone()),
        }
    }

    /// A new run with an id made by the server: its UTC time and a random tail.
    pub fn start_run(client: &mut impl GenericClient, table: QualifiedName) -> Result<Manifest> {
        let row = client
            .query_one(
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"') \
                 || '-' || substr(md5(random()::text || clock_timestamp()::text), 1, 6)",
                &[],
            )
            .map_err(|e| Error::sql("making a run id", e))?;
        Ok(Manifest {
            table,
            run_id: row.get(0),
        })
    }

    /// The run `run_id` to continue; refused when the manifest has no such run.
    pub fn resume(
        client: &mut impl GenericClient,
        table: QualifiedName,
        run_id: &str,
    ) -> Result<Manifest> {
        let sql = format!("SELECT count(*) FROM {} WHERE run_id = $1", table.quoted());
        let n: i64 = client
            .query_one(&sql, &[&run_id])
            .map_err(|e| Error::sql(format!("reading the manifest table {table}"), e))?
            .get(0);
        if n == 0 {
            return Err(Error::Usage(format!(
                "--resume {run_id}: the manifest table {table} has no run {run_id}"
            )));
        }
        Ok(Manifest {
            table,
            run_id: run_id.to_string(),
        })
    }

    /// The tables this run finished.
    pub fn finished(&self, client: &mut impl GenericClient) -> Result<HashSet<String>> {
        let sql = format!(
            "SELECT table_name FROM {} WHERE run_id = $1 AND ok",
            self.table.quoted()
        );
        let rows = client
            .query(&sql, &[&self.run_id])
            .map_err(|e| Error::sql(format!("reading the manifest table {}", self.table), e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Records that `table` started (again); returns the server's UTC time
    /// stamp, which names an export's file.
    pub fn started(&self, client: &mut impl GenericClient, table: &str) -> Result<String> {
        let sql = format!(
            "INSERT INTO {} (run_id, table_name) VALUES ($1, $2)
             ON CONFLICT (run_id, table_name) DO UPDATE
               SET file = NULL, rows = NULL, started_at = now(), finished_at = NULL, ok = false
             RETURNING to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS.US\"Z\"')",
            self.table.quoted()
        );
        let row = client
            .query_one(&sql, &[&self.run_id, &table])
            .map_err(|e| Error::sql(format!("writing the manifest table {}", self.table), e))?;
        Ok(row.get(0))
    }

    /// Settles `table`'s row: its file, rows and whether it succeeded.
    pub fn finished_table(
        &self,
        client: &mut impl GenericClient,
        table: &str,
        file: Option<&str>,
        rows: Option<i64>,
        ok: bool,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET file = $3, rows = $4, finished_at = clock_timestamp(), ok = $5
             WHERE run_id = $1 AND table_name = $2",
            self.table.quoted()
        );
        client
            .execute(&sql, &[&self.run_id, &table, &file, &rows, &ok])
            .map_err(|e| Error::sql(format!("writing the manifest table {}", self.table), e))?;
        Ok(())
    }
}
