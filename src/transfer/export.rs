//! `pum export`: each table's query copied out as CSV (`COPY (query) TO
//! STDOUT (FORMAT csv, HEADER)`) straight into `<table>/<UTC stamp>.csv`
//! of the store, its manifest row written before and settled after.

use std::io::{BufRead, Write};

use postgres::Client;

use crate::config::ExportTable;
use crate::db;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;

use super::csv::RecordCounter;
use super::location::Store;
use super::manifest::Manifest;
use super::tables::{self, Job};
use super::{work, Moved, RunOptions, RunReport, Setup};

/// Exports every configured table from the database of `params`.
pub fn export(
    params: &ConnParams,
    setup: &Setup<'_, ExportTable>,
    opts: &RunOptions,
    printer: &Printer,
) -> Result<RunReport> {
    let mut client = db::connect(params)?;
    let _cancel = crate::interrupt::watch_queries(&client, params);
    let run = Manifest::open(&mut client, &setup.manifest, opts.resume.as_deref())?;
    printer.step(format!(
        "export run {} (manifest {}) to {}",
        run.run_id, run.table, setup.location
    ));
    let jobs = tables::expand(setup.tables, "export", "source database's tables", || {
        tables::database_tables(&mut client)
    })?;
    let jobs: Vec<Job<String>> = jobs
        .into_iter()
        .map(|j| Job {
            settings: tables::substitute(&j.settings.query, &j.table),
            table: j.table,
            key: j.key,
        })
        .collect();
    let done = run.finished(&mut client)?;
    let (reports, stopped) = work(&jobs, &done, opts.strict, printer, |job| {
        export_one(&mut client, setup.store, &run, job)
    })?;
    Ok(RunReport {
        command: "export",
        run_id: run.run_id,
        manifest: run.table.to_string(),
        location: setup.location.to_string(),
        tables: reports,
        stopped,
    })
}

fn export_one(
    client: &mut Client,
    store: &dyn Store,
    run: &Manifest,
    job: &Job<String>,
) -> Result<Moved> {
    let stamp = run.started(client, &job.key)?;
    let key = format!("{}/{stamp}.csv", job.key);
    match copy_out(client, store, &key, job) {
        Ok(moved) => {
            let rows = i64::try_from(moved.rows).unwrap_or(i64::MAX);
            run.finished_table(client, &job.key, Some(&key), Some(rows), true)?;
            Ok(moved)
        }
        Err(e) => {
            // The failure is what the user needs; a manifest row that could
            // not be settled says "not finished" all the same.
            let _ = run.finished_table(client, &job.key, None, None, false);
            Err(e)
        }
    }
}

/// Streams the query's CSV into the store's object for `key`, counting
/// records on the way; the object appears only when the copy succeeded.
fn copy_out(client: &mut Client, store: &dyn Store, key: &str, job: &Job<String>) -> Result<Moved> {
    let query = job.settings.trim().trim_end_matches(';').trim_end();
    let sql = format!("COPY ({query}) TO STDOUT (FORMAT csv, HEADER)");
    let failed = |message: String| Error::Sql {
        context: format!("table {}: query {query:?}", job.key),
        message,
    };
    let mut reader = client
        .copy_out(sql.as_str())
        .map_err(|e| failed(crate::error::describe_pg_error(&e)))?;
    let mut out = store.create(key)?;
    let shown = store.show(key);
    let mut counter = RecordCounter::default();
    let mut bytes = 0u64;
    loop {
        let chunk = reader
            .fill_buf()
            .map_err(|e| failed(super::stream_error(&e)))?;
        if chunk.is_empty() {
            break;
        }
        counter.feed(chunk);
        out.write_all(chunk).map_err(|e| Error::io(&shown, e))?;
        let n = chunk.len();
        bytes += n as u64;
        reader.consume(n);
    }
    drop(reader);
    out.commit()?;
    Ok(Moved {
        file: shown,
        rows: counter.records().saturating_sub(1),
        bytes,
    })
}
