//! The runner: take the run lock, plan, apply each pending delta and its
//! history row in one transaction, run the pre/post-all hooks, and map a
//! failure back onto the delta file's line and column.

pub mod lock;
mod own_transaction;
pub mod python;
pub mod session;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use postgres::Client;
use serde::Serialize;

use crate::db::QualifiedName;
use crate::deltas::plan::{self, Status};
use crate::deltas::sql_lexer;
use crate::deltas::vars::{self, Variables};
use crate::deltas::{Delta, Discovered, Hook, TxMode, Version};
use crate::error::{DeltaFailure, Error, Result};
use crate::history;
use crate::output::Printer;
use crate::service::ConnParams;

use session::SessionReset;

/// Everything an upgrade run needs to know.
pub struct UpgradeRequest<'a> {
    pub params: &'a ConnParams,
    /// The service name the user gave (handed to Python hooks as `pg_service`).
    pub service_name: Option<&'a str>,
    pub table: &'a QualifiedName,
    pub discovered: &'a Discovered,
    pub variables: &'a Variables,
    pub max_version: Option<&'a Version>,
    pub options: RunOptions,
}

/// How careful a run is with the server and with drift.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How long to wait for another run's lock on the same database.
    pub run_lock_timeout: Duration,
    /// `lock_timeout` for each delta, so long DDL never queues behind
    /// another session's lock and stalls every reader behind it.
    pub delta_lock_timeout: Option<Duration>,
    /// `statement_timeout` for each delta.
    pub statement_timeout: Option<Duration>,
    /// How often a delta that hit `lock_timeout` is tried again.
    pub retries: u32,
    /// Refuse to run when an applied delta's file changed or is missing.
    pub strict_checksums: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            run_lock_timeout: Duration::from_secs(60),
            delta_lock_timeout: Some(Duration::from_secs(5)),
            statement_timeout: None,
            retries: 3,
            strict_checksums: false,
        }
    }
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
    /// Rows recorded as applied whose file is gone: `version name (type)`.
    pub missing: Vec<String>,
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
    let missing = plan::missing_on_disk(&rows, &req.discovered.deltas)
        .into_iter()
        .map(|r| {
            format!(
                "{} {} ({})",
                r.version,
                r.description,
                crate::deltas::type_label(r.type_code)
            )
        })
        .collect();
    Ok(Pending {
        current,
        deltas,
        changed,
        missing,
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
    let watching = watch_client(client);
    let reset = SessionReset::capture(client, watching)?;
    // A signal cancels the query this session is running (a delta, the lock wait).
    let cancel = crate::interrupt::watch_queries(client, req.params);
    let result = lock::acquire(client, req.table, req.options.run_lock_timeout).and_then(|()| {
        let result = run_locked(client, req, &reset, printer, started);
        lock::release(client, req.table);
        result
    });
    drop(cancel);
    result.map_err(|e| interrupted(client, req, e))
}

/// An interrupted run says at which version it left the database, asking
/// the database itself: the delta that was running has been rolled back.
fn interrupted(client: &mut Client, req: &UpgradeRequest<'_>, err: Error) -> Error {
    let dbname = req.params.dbname();
    let err = crate::interrupt::mark(err, &format!("upgrade of {dbname}"));
    let Error::Interrupted {
        signal,
        during,
        mut state,
    } = err
    else {
        return err;
    };
    // Twice: a cancel sent by the signal thread may still be on its way.
    let current = pending(client, req).or_else(|_| pending(client, req));
    if let Ok(plan) = current {
        state.insert(
            0,
            format!(
                "database {dbname} at version {}",
                display_version(plan.current.as_ref())
            ),
        );
    }
    Error::Interrupted {
        signal,
        during,
        state,
    }
}

/// What became of the delta that was running when a signal came.
fn interrupted_delta(err: Error, delta: &Delta) -> Error {
    let err = crate::interrupt::mark(err, &format!("applying {}", delta.file_name));
    let phrase = if delta.mode.is_atomic() {
        format!("{} rolled back, not recorded", delta.file_name)
    } else {
        format!("{} stopped part-way, not recorded", delta.file_name)
    };
    crate::interrupt::with_state(err, phrase)
}

/// Asks the server (PostgreSQL 14+; a no-op before) to check every second
/// that pum is still connected while a statement runs. When pum is killed in
/// the middle of a long delta, its backend then ends within a second: the
/// delta is rolled back and the run lock released, instead of the statement
/// running on, holding its locks, for a client that is gone. Returns
/// whether the server has the setting (the session reset sets it again).
pub(crate) fn watch_client(client: &mut Client) -> bool {
    // Best effort: a server without the setting matches no row.
    client
        .query(
            "SELECT set_config(name, '1s', false) FROM pg_settings \
             WHERE name = 'client_connection_check_interval'",
            &[],
        )
        .is_ok_and(|rows| !rows.is_empty())
}

fn run_locked(
    client: &mut Client,
    req: &UpgradeRequest<'_>,
    reset: &SessionReset,
    printer: &Printer,
    started: Instant,
) -> Result<UpgradeReport> {
    // Planned under the lock, so a concurrent run cannot make us apply twice.
    let plan = pending(client, req)?;
    check_drift(&plan, req.options.strict_checksums, printer)?;
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
            reset,
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
    let recorder = history::Recorder::prepare(client, req.table)?;
    let bar = progress_bar(printer, prepared.len());
    for (delta, sql) in prepared {
        if let Some(bar) = &bar {
            bar.set_message(delta.file_name.clone());
        }
        crate::interrupt::check(&format!("upgrade of {}", req.params.dbname()))?;
        let t0 = Instant::now();
        let atomic = match (&sql, python.as_ref()) {
            // Python deltas make their own connections: record right after.
            (Some(sql), _) => {
                apply_sql_with_retries(client, req, reset, &recorder, delta, sql, printer)
            }
            (None, Some(py)) => {
                let ctx = hook_context(req, current.as_ref());
                py.run(&delta.path, &module_name(&delta.path), &ctx)
                    .and_then(|()| recorder.record(client, delta, elapsed_ms(t0)))
                    .map(|()| false)
            }
            (None, None) => unreachable!("python runner prepared for python deltas"),
        }
        .map_err(|e| interrupted_delta(e, delta))?;
        let ms = t0.elapsed().as_millis() as u64;
        let line = format!(
            "applied {} ({}{}) in {}",
            delta.file_name,
            delta.kind.label(),
            if atomic { "" } else { ", not atomic" },
            format_ms(ms)
        );
        match &bar {
            Some(bar) => {
                bar.suspend(|| printer.step(line));
                bar.inc(1);
            }
            None => printer.step(line),
        }
        if current.as_ref().is_none_or(|c| &delta.version > c) {
            current = Some(delta.version.clone());
        }
        let entry = AppliedDelta {
            file: delta.path.display().to_string(),
            version: delta.version.to_string(),
            name: delta.description.clone(),
            kind: delta.kind,
            atomic,
            duration_ms: ms,
        };
        note_applied(printer, req.params, &entry);
        report.applied.push(entry);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for hook in &req.discovered.post_all {
        run_hook(
            client,
            hook,
            hook_sql(hook)?,
            python.as_ref(),
            req,
            reset,
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

/// Keeps `entry`, with the database it went to, for the JSON error
/// document of a run that fails later.
pub(crate) fn note_applied(printer: &Printer, params: &ConnParams, entry: &AppliedDelta) {
    if let Ok(serde_json::Value::Object(mut map)) = serde_json::to_value(entry) {
        map.insert("database".into(), params.dbname().into());
        printer.note_applied(serde_json::Value::Object(map));
    }
}

/// Warns about (or, strict, refuses) applied deltas whose file changed or vanished.
pub fn check_drift(plan: &Pending<'_>, strict: bool, printer: &Printer) -> Result<()> {
    let mut problems = Vec::new();
    for (d, recorded) in &plan.changed {
        problems.push(format!(
            "{} was changed after it was applied (checksum {recorded} recorded, {} on disk)",
            d.path.display(),
            d.checksum
        ));
    }
    for m in &plan.missing {
        problems.push(format!(
            "{m} is recorded as applied but its file was not found"
        ));
    }
    if strict && !problems.is_empty() {
        return Err(Error::State(format!(
            "{}\nrefusing to upgrade (--strict / on_checksum_change: fail); nothing was applied",
            problems.join("\n")
        )));
    }
    for p in problems {
        printer.warn(format!("{p}; it is not applied again"));
    }
    Ok(())
}

fn substitute(text: &str, variables: &Variables, path: &Path) -> Result<String> {
    vars::substitute(text, variables)
        .map_err(|why| Error::Deltas(format!("{}:{why}", path.display())))
}

/// SQLSTATE of `lock_not_available`, raised when `lock_timeout` fires.
pub(crate) const LOCK_NOT_AVAILABLE: &str = "55P03";

/// Applies an SQL delta, trying again when it was rolled back because it
/// could not get a lock in time.
fn apply_sql_with_retries(
    client: &mut Client,
    req: &UpgradeRequest<'_>,
    reset: &SessionReset,
    recorder: &history::Recorder,
    delta: &Delta,
    sql: &str,
    printer: &Printer,
) -> Result<bool> {
    let mut attempt = 0;
    loop {
        match apply_sql(client, req, reset, recorder, delta, sql) {
            Err(Error::Delta(failure))
                if delta.mode.is_atomic()
                    && failure.sqlstate.as_deref() == Some(LOCK_NOT_AVAILABLE)
                    && attempt < req.options.retries
                    && crate::interrupt::received().is_none() =>
            {
                attempt += 1;
                let wait = Duration::from_millis(500 * (1 << (attempt - 1).min(6)));
                printer.warn(format!(
                    "{}: {} (rolled back); attempt {} of {} in {}",
                    delta.file_name,
                    failure.message,
                    attempt + 1,
                    req.options.retries + 1,
                    format_ms(wait.as_millis() as u64)
                ));
                std::thread::sleep(wait);
            }
            other => return other,
        }
    }
}

/// `SET LOCAL` of the per-delta timeouts (whole milliseconds, 0 for none),
/// for the start of a delta's transaction.
pub(crate) fn set_local_timeouts(options: &RunOptions) -> String {
    let ms = |d: Option<Duration>| d.map(|d| d.as_millis()).unwrap_or(0);
    format!(
        "SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
        ms(options.delta_lock_timeout),
        ms(options.statement_timeout)
    )
}

/// Sets the per-delta timeouts; `local` limits them to the current transaction.
pub(crate) fn set_timeouts(
    client: &mut impl postgres::GenericClient,
    options: &RunOptions,
    local: bool,
) -> Result<()> {
    let ms = |d: Option<Duration>| {
        d.map(|d| d.as_millis().to_string())
            .unwrap_or_else(|| "0".into())
    };
    client
        .execute(
            "SELECT set_config('lock_timeout', $1, $3), set_config('statement_timeout', $2, $3)",
            &[
                &ms(options.delta_lock_timeout),
                &ms(options.statement_timeout),
                &local,
            ],
        )
        .map_err(|e| Error::sql("setting lock_timeout and statement_timeout", e))?;
    Ok(())
}

/// Applies one SQL delta and records it. Returns whether that happened in
/// one transaction with its history row.
fn apply_sql(
    client: &mut Client,
    req: &UpgradeRequest<'_>,
    reset: &SessionReset,
    recorder: &history::Recorder,
    delta: &Delta,
    sql: &str,
) -> Result<bool> {
    let t0 = Instant::now();
    match delta.mode {
        TxMode::Atomic => {}
        TxMode::SelfManaged => {
            own_transaction::apply(client, &req.options, reset, delta, sql)?;
            recorder.record(client, delta, elapsed_ms(t0))?;
            return Ok(false);
        }
        TxMode::NoTransaction => {
            apply_without_transaction(client, &req.options, reset, delta, sql)?;
            recorder.record(client, delta, elapsed_ms(t0))?;
            return Ok(false);
        }
        TxMode::Python => unreachable!("python deltas are not SQL"),
    }
    // Four round trips, as psql needs for BEGIN, the file, COMMIT: the
    // timeouts travel with the BEGIN, the session reset with the file (so
    // the history row is written as the connecting role), and the history
    // row uses a statement prepared once for the whole run.
    client
        .batch_execute(&format!("BEGIN; {}", set_local_timeouts(&req.options)))
        .map_err(|e| Error::sql("starting a transaction", e))?;
    if let Err(e) = client.batch_execute(&reset.after(sql)) {
        let _ = client.batch_execute("ROLLBACK");
        let located = if position_of(&e).is_none() && worth_replaying(&e) {
            locate_failing_statement(client, sql, &req.options)
        } else {
            None
        };
        return Err(delta_error(&delta.path, sql, &e, located));
    }
    if let Err(e) = recorder.record(client, delta, elapsed_ms(t0)) {
        let _ = client.batch_execute("ROLLBACK");
        return Err(e);
    }
    client.batch_execute("COMMIT").map_err(|e| {
        if crate::error::connection_lost(&e) {
            // The COMMIT may or may not have reached the server.
            lost_connection(
                &delta.path,
                &e,
                "while committing",
                "the delta and its history row were committed together or not at all: run `pum info` to see which",
            )
        } else {
            delta_error(&delta.path, sql, &e, None)
        }
    })?;
    Ok(true)
}

/// Runs a `-- pum:no-transaction` delta statement by statement in
/// autocommit, then makes sure no index it built was left invalid (a failed
/// CREATE INDEX CONCURRENTLY leaves one behind).
fn apply_without_transaction(
    client: &mut Client,
    options: &RunOptions,
    reset: &SessionReset,
    delta: &Delta,
    sql: &str,
) -> Result<()> {
    const INVALID: &str =
        "SELECT indexrelid::oid, indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid";
    let before: Vec<u32> = client
        .query(INVALID, &[])
        .map_err(|e| Error::sql("listing invalid indexes", e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    set_timeouts(client, options, false)?;
    let statements = sql_lexer::split(sql);
    let total = statements.len();
    for (i, stmt) in statements.iter().enumerate() {
        if let Err(e) = client.batch_execute(stmt.text) {
            let _ = client.batch_execute(reset.sql());
            let lead = stmt.text.len() - stmt.text.trim_start().len();
            let mut err = delta_error(&delta.path, sql, &e, Some(stmt.start + lead));
            if let Error::Delta(failure) = &mut err {
                if position_of(&e).is_some() {
                    // The server's position is relative to the statement alone.
                    let offset = stmt.start
                        + sql_lexer::char_position_to_byte(
                            stmt.text,
                            position_of(&e).unwrap_or(1) as usize,
                        );
                    let (l, c) = sql_lexer::line_col(sql, offset);
                    failure.line = Some(l);
                    failure.column = Some(c);
                }
                failure.message = format!(
                    "{} (statement {} of {total}; this delta runs without a transaction, so statements 1 to {} \
                     stayed applied and nothing was recorded: make the delta safe to re-run, fix it, and run upgrade again)",
                    failure.message,
                    i + 1,
                    i
                );
            }
            return Err(err);
        }
    }
    client
        .batch_execute(reset.sql())
        .map_err(|e| Error::sql("resetting the session after the delta", e))?;
    let invalid: Vec<String> = client
        .query(INVALID, &[])
        .map_err(|e| Error::sql("listing invalid indexes", e))?
        .iter()
        .filter(|r| !before.contains(&r.get::<_, u32>(0)))
        .map(|r| r.get(1))
        .collect();
    if !invalid.is_empty() {
        return Err(Error::Delta(Box::new(DeltaFailure {
            file: delta.path.clone(),
            line: None,
            column: None,
            sqlstate: None,
            message: format!(
                "the delta left invalid index(es) {}; drop and rebuild them, then run upgrade again (nothing was recorded)",
                invalid.join(", ")
            ),
            detail: None,
            hint: None,
        })));
    }
    Ok(())
}

/// Runs a pre-all/post-all hook. SQL hooks run in a transaction of their own.
#[allow(clippy::too_many_arguments)]
fn run_hook(
    client: &mut Client,
    hook: &Hook,
    sql: Option<String>,
    python: Option<&python::PythonRunner>,
    req: &UpgradeRequest<'_>,
    reset: &SessionReset,
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
            set_timeouts(&mut tx, &req.options, true)?;
            if let Err(e) = tx.batch_execute(&reset.after(&sql)) {
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

pub(crate) fn position_of(err: &postgres::Error) -> Option<u32> {
    match err.as_db_error()?.position()? {
        postgres::error::ErrorPosition::Original(p) => Some(*p),
        postgres::error::ErrorPosition::Internal { .. } => None,
    }
}

/// Whether replaying a failed delta can tell where it failed: not for
/// lock waits, cancellations, resource or connection trouble, which would
/// only happen again (or wait again).
pub(crate) fn worth_replaying(err: &postgres::Error) -> bool {
    let Some(db) = err.as_db_error() else {
        return false;
    };
    let class = &db.code().code()[..2];
    !matches!(class, "08" | "40" | "53" | "55" | "57" | "58" | "XX")
}

/// When the server gives no position (a runtime error such as a constraint
/// violation), replays the statements one by one, under the same timeouts,
/// in a transaction that is rolled back (a savepoint when `client` is itself
/// a transaction), to find the byte offset of the one that fails.
pub(crate) fn locate_failing_statement(
    client: &mut impl postgres::GenericClient,
    sql: &str,
    options: &RunOptions,
) -> Option<usize> {
    let mut tx = client.transaction().ok()?;
    set_timeouts(&mut tx, options, true).ok()?;
    for stmt in sql_lexer::split(sql) {
        if tx.batch_execute(stmt.text).is_err() {
            let lead = stmt.text.len() - stmt.text.trim_start().len();
            return Some(stmt.start + lead);
        }
    }
    None
}

/// A delta whose session ended under it (server restart, terminated backend).
fn lost_connection(path: &Path, err: &postgres::Error, when: &str, then: &str) -> Error {
    Error::Delta(Box::new(DeltaFailure {
        file: path.to_path_buf(),
        line: None,
        column: None,
        sqlstate: err.as_db_error().map(|db| db.code().code().to_string()),
        message: format!(
            "the connection to the server was lost {when} ({}); {then}",
            crate::error::describe_pg_error(err)
        ),
        detail: None,
        hint: None,
    }))
}

pub(crate) fn delta_error(
    path: &Path,
    sql: &str,
    err: &postgres::Error,
    located: Option<usize>,
) -> Error {
    if crate::error::connection_lost(err) {
        return lost_connection(
            path,
            err,
            "while it ran",
            "it was not recorded as applied: run upgrade again once the server is back",
        );
    }
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

pub(crate) fn elapsed_ms(t0: Instant) -> i32 {
    t0.elapsed().as_millis().min(i32::MAX as u128) as i32
}

/// A bar of deltas applied, on a terminal only and only for more than one delta.
fn progress_bar(printer: &Printer, total: usize) -> Option<indicatif::ProgressBar> {
    if !printer.stderr_tty || printer.quiet || total < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} deltas {elapsed:>4} {wide_msg}",
        )
        .expect("static template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
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
