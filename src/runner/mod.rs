//! The one loop every upgrade runs through, whichever layout the project
//! has: check the history table, take the run lock, plan under it, run the
//! hooks around the units, apply each unit in its own transaction with its
//! history row (tried again when it lost a race for a lock), show progress,
//! and report. What a unit is, how it is applied and recorded, belongs to
//! the layout ([`Layout`], [`Plan`]): pum 0.x delta files or pum 1.x
//! module versions.

pub mod failure;
pub mod lock;
pub mod measure;
pub mod measure_stats;
pub mod scope;
pub mod session;

use std::time::{Duration, Instant};

use postgres::Client;
use serde::Serialize;

use crate::db::QualifiedName;
use crate::error::{Error, Result};
use crate::output::{format_ms, Printer};
use crate::service::ConnParams;

pub use failure::{delta_error, LOCK_NOT_AVAILABLE};
use session::SessionReset;

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
    /// Measure each unit (locks, rewrites, WAL): costs a second connection
    /// and a few queries per unit, so it is off unless asked for.
    pub measure: bool,
    /// The whole run in one transaction, each unit a savepoint in it
    /// (`--single-transaction`, and every `install`): all or nothing.
    pub single_transaction: bool,
    /// The interpreter of Python deltas and hooks (`PUM_PYTHON`, else
    /// `python3` on PATH).
    pub python: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            run_lock_timeout: Duration::from_secs(60),
            delta_lock_timeout: Some(Duration::from_secs(5)),
            statement_timeout: None,
            retries: 3,
            strict_checksums: false,
            measure: false,
            single_transaction: false,
            python: DEFAULT_PYTHON.into(),
        }
    }
}

/// The Python interpreter when `PUM_PYTHON` does not name one.
pub const DEFAULT_PYTHON: &str = "python3";

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
    /// What the unit did to the database, when the run measured.
    #[serde(flatten)]
    pub measured: Option<measure::Measured>,
    /// Statement by statement, for a measured delta that runs without a
    /// transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statements: Option<Vec<measure::StatementMeasured>>,
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

/// Keeps `entry`, with the database it went to, for the JSON error
/// document of a run that fails later.
pub(crate) fn note_applied(printer: &Printer, params: &ConnParams, entry: &AppliedDelta) {
    if let Ok(serde_json::Value::Object(mut map)) = serde_json::to_value(entry) {
        map.insert("database".into(), params.dbname().into());
        printer.note_applied(serde_json::Value::Object(map));
    }
}

/// A bar of units applied, on a terminal only and only for more than one.
fn progress_bar(printer: &Printer, total: usize, noun: &str) -> Option<indicatif::ProgressBar> {
    if !printer.stderr_tty || printer.quiet || total < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} {prefix} {elapsed:>4} {wide_msg}",
        )
        .expect("static template"),
    );
    bar.set_prefix(noun.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// What every unit of work sees of the run.
pub struct RunContext<'r> {
    pub params: &'r ConnParams,
    /// The service name the user gave (handed to Python hooks).
    pub service_name: Option<&'r str>,
    pub options: &'r RunOptions,
    /// Puts the session back as it was before each unit.
    pub reset: &'r SessionReset,
    pub printer: &'r Printer,
}

/// A project layout as the runner sees it.
pub trait Layout {
    type Plan<'a>: Plan
    where
        Self: 'a;

    /// The history table; its name is also the run lock's key.
    fn history_table(&self) -> &QualifiedName;

    /// Before the lock: refuses a database without the history table.
    fn require_history(&self, client: &mut Client, params: &ConnParams) -> Result<()>;

    /// Under the lock: what is pending, prepared (files read, placeholders
    /// substituted, drift checked) so that what can fail without the
    /// database fails before anything runs.
    fn plan<'a>(&'a self, client: &mut Client, run: &RunContext<'_>) -> Result<Self::Plan<'a>>;

    /// The version the history records now (after an interruption).
    fn recorded_version(&self, client: &mut Client) -> Result<Option<String>>;

    /// In a single-transaction run, right after its BEGIN and before the
    /// plan: what the layout does first in that transaction (an install
    /// creates its history table there, so a failed install leaves none).
    fn begin_whole(&self, _client: &mut Client, _run: &RunContext<'_>) -> Result<()> {
        Ok(())
    }
}

/// One run's prepared work: units applied in order, hooks around them.
pub trait Plan {
    /// "deltas", "versions": for progress and messages.
    fn noun(&self) -> &'static str;
    fn version_before(&self) -> Option<String>;
    /// The version after the units applied so far.
    fn version_after(&self) -> Option<String>;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The unit's name in messages ("delta_1.2.0_x.sql", "network 1.2.0").
    fn label(&self, unit: usize) -> String;
    /// Whether a unit rolled back by `lock_timeout` may simply run again.
    fn retriable(&self, unit: usize) -> bool;
    /// Said when there is nothing to apply.
    fn nothing_to_apply(&self, dbname: &str) -> String;
    /// Hooks before the first unit (run even when nothing is pending);
    /// returns what ran.
    fn before_all(&mut self, client: &mut Client, run: &RunContext<'_>) -> Result<Vec<String>>;
    /// Applies one unit with its history row; one attempt.
    fn apply(&mut self, client: &mut Client, unit: usize, run: &RunContext<'_>) -> Result<Applied>;
    /// What became of a unit a signal stopped.
    fn interrupted(&self, unit: usize) -> String;
    /// Hooks after the last unit; returns what ran.
    fn after_all(&mut self, client: &mut Client, run: &RunContext<'_>) -> Result<Vec<String>>;
}

/// A unit that was applied: its report entry (the runner fills in the
/// duration) and the words after "applied " in the progress line.
pub struct Applied {
    pub entry: AppliedDelta,
    pub summary: String,
}

/// Applies what `layout` plans for the database of `run.params`. A failing
/// unit rolls back with its history row, nothing after it runs, and the
/// error names the file, line and the server's message; earlier units stay.
pub fn run<L: Layout>(
    client: &mut Client,
    layout: &L,
    params: &ConnParams,
    service_name: Option<&str>,
    options: &RunOptions,
    printer: &Printer,
) -> Result<UpgradeReport> {
    let started = Instant::now();
    layout.require_history(client, params)?;
    let watching = watch_client(client);
    let reset = SessionReset::capture(client, watching)?;
    let run = RunContext {
        params,
        service_name,
        options,
        reset: &reset,
        printer,
    };
    let table = layout.history_table();
    // A signal cancels the query this session is running (a unit, the lock wait).
    let cancel = crate::interrupt::watch_queries(client, params);
    let result = lock::acquire(client, table, options.run_lock_timeout).and_then(|()| {
        let result = if options.single_transaction {
            run_whole(client, layout, &run, started)
        } else {
            run_locked(client, layout, &run, started)
        };
        lock::release(client, table);
        result
    });
    drop(cancel);
    result.map_err(|e| interrupted(client, layout, params, e))
}

/// The run as one transaction: committed when every unit and hook
/// succeeded, rolled back (with what it noted as applied) otherwise.
fn run_whole<L: Layout>(
    client: &mut Client,
    layout: &L,
    run: &RunContext<'_>,
    started: Instant,
) -> Result<UpgradeReport> {
    let noted = run.printer.applied.lock().map(|a| a.len()).unwrap_or(0);
    client
        .batch_execute("BEGIN")
        .map_err(|e| Error::sql("starting the run's transaction", e))?;
    let result = layout
        .begin_whole(client, run)
        .and_then(|()| run_locked(client, layout, run, started))
        .and_then(|report| {
            client
                .batch_execute("COMMIT")
                .map_err(|e| Error::sql("committing the run's transaction", e))?;
            Ok(report)
        });
    if result.is_err() {
        let _ = client.batch_execute("ROLLBACK");
        if let Ok(mut applied) = run.printer.applied.lock() {
            applied.truncate(noted);
        }
        run.printer.warn(format!(
            "single transaction: everything this run did to {} was rolled back; it is where it was before",
            run.params.dbname()
        ));
    }
    result
}

fn run_locked<L: Layout>(
    client: &mut Client,
    layout: &L,
    run: &RunContext<'_>,
    started: Instant,
) -> Result<UpgradeReport> {
    // Planned under the lock, so a concurrent run cannot make us apply twice.
    let mut plan = layout.plan(client, run)?;
    let mut report = UpgradeReport {
        version_before: plan.version_before(),
        version_after: None,
        applied: Vec::new(),
        hooks_run: Vec::new(),
        duration_ms: 0,
    };
    report.hooks_run = plan.before_all(client, run)?;
    if plan.is_empty() {
        run.printer.step(plan.nothing_to_apply(run.params.dbname()));
    }
    let bar = progress_bar(run.printer, plan.len(), plan.noun());
    // The lock sampler's connection, opened once and lent to each unit.
    let mut watcher = None;
    for unit in 0..plan.len() {
        if let Some(bar) = &bar {
            bar.set_message(plan.label(unit));
        }
        crate::interrupt::check(&format!("upgrade of {}", run.params.dbname()))?;
        let measurer = match run.options.measure {
            true => {
                let watcher = match watcher.take() {
                    Some(w) => w,
                    None => measure::Watcher::open(run.params)?,
                };
                Some(measure::Measurer::start(client, watcher)?)
            }
            false => None,
        };
        let t0 = Instant::now();
        let mut applied = apply_with_retries(client, &mut plan, unit, run).map_err(|e| {
            let e = crate::interrupt::mark(e, &format!("applying {}", plan.label(unit)));
            crate::interrupt::with_state(e, plan.interrupted(unit))
        })?;
        let ms = t0.elapsed().as_millis() as u64;
        applied.entry.duration_ms = ms;
        if let Some(measurer) = measurer {
            // The unit is committed: a measurement that failed is a
            // warning, never a failed unit.
            let (back, measured) = measurer.finish(client);
            watcher = back;
            match measured {
                Ok(measured) => applied.entry.measured = Some(measured),
                Err(e) => run
                    .printer
                    .warn(format!("{}: not measured: {e}", plan.label(unit))),
            }
        }
        let line = format!("applied {} in {}", applied.summary, format_ms(ms));
        match &bar {
            Some(bar) => {
                bar.suspend(|| run.printer.step(line));
                bar.inc(1);
            }
            None => run.printer.step(line),
        }
        note_applied(run.printer, run.params, &applied.entry);
        report.applied.push(applied.entry);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report.hooks_run.extend(plan.after_all(client, run)?);
    report.version_after = plan.version_after();
    report.duration_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Applies one unit, trying again (with backoff) when it was rolled back
/// because it could not get a lock in time.
fn apply_with_retries<P: Plan>(
    client: &mut Client,
    plan: &mut P,
    unit: usize,
    run: &RunContext<'_>,
) -> Result<Applied> {
    let mut attempt = 0;
    loop {
        match plan.apply(client, unit, run) {
            Err(Error::Delta(failure))
                if plan.retriable(unit)
                    && failure.sqlstate.as_deref() == Some(LOCK_NOT_AVAILABLE)
                    && attempt < run.options.retries
                    && crate::interrupt::received().is_none() =>
            {
                attempt += 1;
                let wait = Duration::from_millis(500 * (1 << (attempt - 1).min(6)));
                run.printer.warn(format!(
                    "{}: {} (rolled back); attempt {} of {} in {}",
                    plan.label(unit),
                    failure.message,
                    attempt + 1,
                    run.options.retries + 1,
                    format_ms(wait.as_millis() as u64)
                ));
                std::thread::sleep(wait);
            }
            other => return other,
        }
    }
}

/// An interrupted run says at which version it left the database, asking
/// the database itself: the unit that was running has been rolled back.
fn interrupted<L: Layout>(
    client: &mut Client,
    layout: &L,
    params: &ConnParams,
    err: Error,
) -> Error {
    let dbname = params.dbname();
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
    let current = layout
        .recorded_version(client)
        .or_else(|_| layout.recorded_version(client));
    if let Ok(version) = current {
        state.insert(
            0,
            format!(
                "database {dbname} at version {}",
                version.as_deref().unwrap_or("(none)")
            ),
        );
    }
    Error::Interrupted {
        signal,
        during,
        state,
    }
}
