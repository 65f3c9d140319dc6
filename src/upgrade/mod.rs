//! The runner: take the run lock, plan, apply each pending delta and its
//! history row in one transaction, run the pre/post-all hooks, and map a
//! failure back onto the delta file's line and column.

pub mod lock;
pub mod python;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use postgres::Client;
use serde::Serialize;

use crate::db::QualifiedName;
use crate::deltas::plan::{self, Status};
use crate::deltas::sql_lexer;
use crate::deltas::vars::{self, Variables};
use crate::deltas::{Delta, Discovered, Hook, Version};
use crate::error::{DeltaFailure, Error, Result};
use crate::history;
use crate::output::Printer;
use crate::service::ConnParams;

/// Everything an upgrade run needs to know.
pub struct UpgradeRequest<'a> {
    pub params: &'a ConnParams,
    /// The service name the user gave (handed to Python hooks as `pg_service`).
    pub service_name: Option<&'a str>,
    pub table: &'a QualifiedName,
    pub discovered: &'a Discovered,
    pub variables: &'a Variables,
    pub max_version: Option<&'a Version>,
    pub lock_timeout: Duration,
}

/// One delta that was applied.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedDelta {
    pub file: String,
    pub version: String,
    pub name: String,
    pub kind: crate::deltas::DeltaKind,
    /// Whether the delta and its history row were committed together.
    pub atomic: bool,
    pub duration_ms: u64,
}

/// What an upgrade run did.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeReport {
    pub version_before: Option<String>,
    pub version_after: Option<String>,
    pub applied: Vec<AppliedDelta>,
    pub hooks_run: Vec<String>,
    pub duration_ms: u64,
}

/// The deltas an upgrade would apply, in order, with the version before.
pub struct Pending<'a> {
    pub current: Option<Version>,
    pub deltas: Vec<&'a Delta>,
    /// Applied deltas whose file changed since, with the recorded checksum.
    pub changed: Vec<(&'a Delta, String)>,
}

/// Plans against the database's history (no lock, nothing applied).
pub fn pending<'a>(client: &mut Client, req: &UpgradeRequest<'a>) -> Result<Pending<'a>> {
    history::require(client, req.table, &req.params.target())?;
    let rows: Vec<_> = history::read(client, req.table)?
        .iter()
        .map(history::HistoryRow::as_applied)
        .collect();
    let current = plan::current_version(&rows);
    let statuses = plan::statuses(
        &rows,
        &req.discovered.deltas,
        current.as_ref(),
        req.max_version,
    );
    let mut deltas = Vec::new();
    let mut changed = Vec::new();
    for (d, s) in req.discovered.deltas.iter().zip(statuses) {
        match s {
            Status::Pending => deltas.push(d),
            Status::ChangedSinceApplied => {
                let recorded = rows
                    .iter()
                    .find(|r| {
                        r.success
                            && r.type_code == d.kind.type_code()
                            && r.description == d.description
                            && Version::parse_recorded(&r.version).as_ref() == Some(&d.version)
                    })
                    .map(|r| r.checksum.clone())
                    .unwrap_or_default();
                changed.push((d, recorded));
            }
            _ => {}
        }
    }
    Ok(Pending {
        current,
        deltas,
        changed,
    })
}

/// Applies the pending deltas. On a failing delta, that delta is rolled back
/// and not recorded, post-all hooks are skipped, and the error names the
/// file, line and the server's message; earlier deltas stay applied.
pub fn run(
    client: &mut Client,
    req: &UpgradeRequest<'_>,
    printer: &Printer,
) -> Result<UpgradeReport> {
    let started = Instant::now();
    history::require(client, req.table, &req.params.target())?;
    lock::acquire(client, req.table, req.lock_timeout)?;
    let result = run_locked(client, req, printer, started);
    lock::release(client, req.table);
    result
}

fn run_locked(
    client: &mut Client,
    req: &UpgradeRequest<'_>,
    printer: &Printer,
    started: Instant,
) -> Result<UpgradeReport> {
    // Planned under the lock, so a concurrent run cannot make us apply twice.
    let plan = pending(client, req)?;
    for (d, recorded) in &plan.changed {
        printer.warn(format!(
            "{} was changed after it was applied (checksum {recorded} recorded, {} on disk); it is not applied again",
            d.path.display(),
            d.checksum
        ));
    }
    // Everything that can fail without the database fails before anything runs.
    let needs_python = plan.deltas.iter().any(|d| d.kind.is_python())
        || req
            .discovered
            .pre_all
            .iter()
            .chain(&req.discovered.post_all)
            .any(|h| h.python);
    if needs_python {
        python::require_python()?;
    }
    let mut prepared: Vec<(&Delta, Option<String>)> = Vec::new();
    for d in &plan.deltas {
        let sql = match &d.sql {
            Some(text) => Some(substitute(text, req.variables, &d.path)?),
            None => None,
        };
        prepared.push((d, sql));
    }
    let hook_sql = |h: &Hook| -> Result<Option<String>> {
        h.sql
            .as_deref()
            .map(|t| substitute(t, req.variables, &h.path))
            .transpose()
    };
    let python = if needs_python {
        Some(python::PythonRunner::new(req.params, req.service_name)?)
    } else {
        None
    };
    let mut current = plan.current.clone();
    let mut report = UpgradeReport {
        version_before: plan.current.as_ref().map(ToString::to_string),
        version_after: None,
        applied: Vec::new(),
        hooks_run: Vec::new(),
        duration_ms: 0,
    };
    for hook in &req.discovered.pre_all {
        run_hook(
            client,
            hook,
            hook_sql(hook)?,
            python.as_ref(),
            req,
            current.as_ref(),
            "pre-all",
            printer,
        )?;
        report.hooks_run.push(hook.path.display().to_string());
    }
    if prepared.is_empty() {
        printer.step(format!(
            "nothing to apply: {} is at version {}",
            req.params.dbname(),
            display_version(current.as_ref())
        ));
    }
    for (delta, sql) in prepared {
        let t0 = Instant::now();
        let atomic = match (&sql, python.as_ref()) {
            (Some(sql), _) => apply_sql(client, req.table, delta, sql)?,
            (None, Some(py)) => {
                let ctx = hook_context(req, current.as_ref());
                py.run(&delta.path, &module_name(&delta.path), &ctx)?;
                history::record_delta(client, req.table, delta, elapsed_ms(t0))?;
                false
            }
            (None, None) => unreachable!("python runner prepared for python deltas"),
        };
        let ms = t0.elapsed().as_millis() as u64;
        printer.step(format!(
            "applied {} ({}{}) in {}",
            delta.file_name,
            delta.kind.label(),
            if atomic { "" } else { ", not atomic" },
            format_ms(ms)
        ));
        if current.as_ref().is_none_or(|c| &delta.version > c) {
            current = Some(delta.version.clone());
        }
        report.applied.push(AppliedDelta {
            file: delta.path.display().to_string(),
            version: delta.version.to_string(),
            name: delta.description.clone(),
            kind: delta.kind,
            atomic,
            duration_ms: ms,
        });
    }
    for hook in &req.discovered.post_all {
        run_hook(
            client,
            hook,
            hook_sql(hook)?,
            python.as_ref(),
            req,
            current.as_ref(),
            "post-all",
            printer,
        )?;
        report.hooks_run.push(hook.path.display().to_string());
    }
    report.version_after = current.as_ref().map(ToString::to_string);
    report.duration_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

fn substitute(text: &str, variables: &Variables, path: &Path) -> Result<String> {
    vars::substitute(text, variables)
        .map_err(|why| Error::Deltas(format!("{}:{why}", path.display())))
}

/// Applies one SQL delta and records it. Returns whether that happened in
/// one transaction (false for files with their own BEGIN/COMMIT).
fn apply_sql(client: &mut Client, table: &QualifiedName, delta: &Delta, sql: &str) -> Result<bool> {
    let t0 = Instant::now();
    if delta.manages_transaction {
        // As pum 0.x: inside a transaction that the file's own COMMIT ends,
        // then the history row on its own.
        let run = client
            .batch_execute("BEGIN")
            .and_then(|_| client.batch_execute(sql))
            .and_then(|_| client.batch_execute("COMMIT"));
        if let Err(e) = run {
            let _ = client.batch_execute("ROLLBACK");
            return Err(delta_error(&delta.path, sql, &e, None));
        }
        history::record_delta(client, table, delta, elapsed_ms(t0))?;
        return Ok(false);
    }
    let mut tx = client
        .transaction()
        .map_err(|e| Error::sql("starting a transaction", e))?;
    if let Err(e) = tx.batch_execute(sql) {
        drop(tx);
        let located = if position_of(&e).is_none() {
            locate_failing_statement(client, sql)
        } else {
            None
        };
        return Err(delta_error(&delta.path, sql, &e, located));
    }
    history::record_delta(&mut tx, table, delta, elapsed_ms(t0))?;
    tx.commit()
        .map_err(|e| delta_error(&delta.path, sql, &e, None))?;
    Ok(true)
}

/// Runs a pre-all/post-all hook. SQL hooks run in a transaction of their own.
#[allow(clippy::too_many_arguments)]
fn run_hook(
    client: &mut Client,
    hook: &Hook,
    sql: Option<String>,
    python: Option<&python::PythonRunner>,
    req: &UpgradeRequest<'_>,
    current: Option<&Version>,
    label: &str,
    printer: &Printer,
) -> Result<()> {
    let t0 = Instant::now();
    match sql {
        Some(sql) => {
            let mut tx = client
                .transaction()
                .map_err(|e| Error::sql("starting a transaction", e))?;
            if let Err(e) = tx.batch_execute(&sql) {
                drop(tx);
                return Err(delta_error(&hook.path, &sql, &e, None));
            }
            tx.commit()
                .map_err(|e| delta_error(&hook.path, &sql, &e, None))?;
        }
        None => {
            let py = python.expect("python runner prepared for python hooks");
            py.run(&hook.path, label, &hook_context(req, current))?;
        }
    }
    printer.step(format!(
        "ran {} in {}",
        hook.path.display(),
        format_ms(t0.elapsed().as_millis() as u64)
    ));
    Ok(())
}

fn hook_context<'a>(
    req: &'a UpgradeRequest<'_>,
    current: Option<&Version>,
) -> python::HookContext<'a> {
    python::HookContext {
        current_version: current.map(ToString::to_string),
        delta_dirs: &req.discovered.dirs,
        upgrades_table: req.table,
        variables: req.variables,
    }
}

fn module_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().replace('.', "_"))
        .unwrap_or_else(|| "delta".into())
}

fn position_of(err: &postgres::Error) -> Option<u32> {
    match err.as_db_error()?.position()? {
        postgres::error::ErrorPosition::Original(p) => Some(*p),
        postgres::error::ErrorPosition::Internal { .. } => None,
    }
}

/// When the server gives no position (a runtime error such as a constraint
/// violation), replays the statements one by one in a transaction that is
/// rolled back, to find the byte offset of the one that fails.
fn locate_failing_statement(client: &mut Client, sql: &str) -> Option<usize> {
    let mut tx = client.transaction().ok()?;
    for stmt in sql_lexer::split(sql) {
        if tx.batch_execute(stmt.text).is_err() {
            let lead = stmt.text.len() - stmt.text.trim_start().len();
            return Some(stmt.start + lead);
        }
    }
    None
}

fn delta_error(path: &Path, sql: &str, err: &postgres::Error, located: Option<usize>) -> Error {
    let Some(db) = err.as_db_error() else {
        return Error::Delta(Box::new(DeltaFailure {
            file: path.to_path_buf(),
            line: None,
            column: None,
            sqlstate: None,
            message: crate::error::describe_pg_error(err),
            detail: None,
            hint: None,
        }));
    };
    let offset = position_of(err)
        .map(|p| sql_lexer::char_position_to_byte(sql, p as usize))
        .or(located);
    let (line, column) = match offset {
        Some(o) => {
            let (l, c) = sql_lexer::line_col(sql, o);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    let mut detail = db.detail().map(str::to_string);
    if let Some(where_) = db.where_() {
        let text = format!("where: {where_}");
        detail = Some(match detail {
            Some(d) => format!("{d}\n  {text}"),
            None => text,
        });
    }
    Error::Delta(Box::new(DeltaFailure {
        file: path.to_path_buf(),
        line,
        column,
        sqlstate: Some(db.code().code().to_string()),
        message: db.message().to_string(),
        detail,
        hint: db.hint().map(str::to_string),
    }))
}

fn elapsed_ms(t0: Instant) -> i32 {
    t0.elapsed().as_millis().min(i32::MAX as u128) as i32
}

/// `12 ms`, `1.25 s`.
pub fn format_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.2} s", ms as f64 / 1000.0)
    }
}

pub fn display_version(v: Option<&Version>) -> String {
    v.map(ToString::to_string)
        .unwrap_or_else(|| "(none)".into())
}

/// Delta directories as given, for messages.
pub fn dirs_label(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
