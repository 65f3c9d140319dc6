//! Exports of query results to CSV files in a store, and imports of those
//! files into tables, table by table with a manifest table that makes a
//! run resumable. Both stream through `COPY`: the rows never sit in memory.
//!
//! `location` is the store (a directory today), `tables` decides which
//! tables a run works through, `csv` reads headers and counts records,
//! `manifest` keeps the run's rows, `export` and `import` move one table
//! each, `report` prints what a run did.

pub mod csv;
mod export;
mod import;
pub mod location;
pub mod manifest;
pub mod report;
pub mod tables;

use std::collections::HashSet;
use std::time::Instant;

use serde::Serialize;

use crate::config::Ordered;
use crate::db::QualifiedName;
use crate::error::Result;
use crate::output::Printer;

pub use export::export;
pub use import::import;

use location::Store;
use tables::Job;

/// What a run works on: the store, the manifest table and the tables as
/// configured.
pub struct Setup<'a, T> {
    pub store: &'a dyn Store,
    /// The `location` setting as written, for messages.
    pub location: &'a str,
    pub manifest: QualifiedName,
    pub tables: &'a Ordered<T>,
}

/// How a run goes.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Stop at the first failing table.
    pub strict: bool,
    /// Continue this run: the tables it finished are skipped.
    pub resume: Option<String>,
}

/// What happened to one table; also its `--format json` entry.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub table: String,
    /// The file written or read, as the store shows it.
    pub file: Option<String>,
    pub rows: Option<u64>,
    pub bytes: Option<u64>,
    pub seconds: f64,
    pub ok: bool,
    /// Finished earlier in the resumed run, not done again.
    pub skipped: bool,
    pub error: Option<String>,
}

/// What a run did; also its `--format json` output.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// `export` or `import`.
    pub command: &'static str,
    pub run_id: String,
    pub manifest: String,
    pub location: String,
    pub tables: Vec<TableReport>,
    /// `--strict` stopped the run at a failure; later tables never started.
    pub stopped: bool,
}

impl RunReport {
    pub fn failures(&self) -> impl Iterator<Item = &TableReport> {
        self.tables.iter().filter(|t| !t.ok)
    }
}

/// What moving one table gave.
pub(crate) struct Moved {
    pub file: String,
    pub rows: u64,
    pub bytes: u64,
}

/// Works through `jobs` in order: skips those in `done`, reports each
/// failure and goes on — or, `strict`, stops at the first. Returns the
/// reports and whether the run was stopped.
pub(crate) fn work<T>(
    jobs: &[Job<T>],
    done: &HashSet<String>,
    strict: bool,
    printer: &Printer,
    mut one: impl FnMut(&Job<T>) -> Result<Moved>,
) -> Result<(Vec<TableReport>, bool)> {
    let mut reports = Vec::new();
    for job in jobs {
        crate::interrupt::check(&format!("table {}", job.key)).map_err(|e| {
            crate::interrupt::with_state(e, "the tables finished are recorded in the manifest")
        })?;
        if done.contains(&job.key) {
            printer.step(format!(
                "{}: finished earlier in this run, skipped",
                job.key
            ));
            reports.push(report(job, None, 0.0, true));
            continue;
        }
        let started = Instant::now();
        let result = one(job);
        let seconds = started.elapsed().as_secs_f64();
        let failed = result.is_err();
        match &result {
            Ok(m) => printer.step(format!("{}: {} row(s) ({:.2} s)", job.key, m.rows, seconds)),
            Err(e) => printer.warn(format!("failed: {e}")),
        }
        reports.push(report(job, Some(result), seconds, false));
        if failed && strict {
            return Ok((reports, true));
        }
    }
    Ok((reports, false))
}

fn report<T>(
    job: &Job<T>,
    result: Option<Result<Moved>>,
    seconds: f64,
    skipped: bool,
) -> TableReport {
    let mut out = TableReport {
        table: job.key.clone(),
        file: None,
        rows: None,
        bytes: None,
        seconds,
        ok: true,
        skipped,
        error: None,
    };
    match result {
        Some(Ok(m)) => {
            out.file = Some(m.file);
            out.rows = Some(m.rows);
            out.bytes = Some(m.bytes);
        }
        Some(Err(e)) => {
            out.ok = false;
            out.error = Some(e.to_string());
        }
        None => {}
    }
    out
}

/// The message of an error met while streaming through `COPY`: the
/// server's, when the stream carries one.
pub(crate) fn stream_error(e: &std::io::Error) -> String {
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<postgres::Error>());
    match inner {
        Some(pg) => crate::error::describe_pg_error(pg),
        None => e.to_string(),
    }
}

/// The error for a command whose section pum.yaml lacks.
pub fn missing_section(file: Option<&std::path::Path>, section: &str) -> crate::error::Error {
    let file = match file {
        Some(f) => f.display().to_string(),
        None => "pum.yaml (none found here; pass -c FILE)".to_string(),
    };
    crate::error::Error::Settings(format!(
        "{file} has no {section}: section; pum {section} takes its tables from it"
    ))
}

/// The manifest table named by `key` in pum.yaml.
pub fn manifest_name(text: &str, key: &str) -> Result<QualifiedName> {
    QualifiedName::parse(text).map_err(|e| crate::error::Error::Settings(format!("{key}: {e}")))
}
