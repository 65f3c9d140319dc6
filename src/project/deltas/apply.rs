//! Applying one pum 0.x delta, by its mode: in one transaction with its
//! history row, inside the file's own BEGIN/COMMIT, statement by statement
//! without a transaction, and the pre-all/post-all hooks.

use std::path::Path;
use std::time::Instant;

use postgres::Client;

use crate::deltas::sql_lexer;
use crate::deltas::{Delta, Hook, TxMode};
use crate::error::{DeltaFailure, Error, Result};
use crate::history;
use crate::output::format_ms;
use crate::runner::failure::{
    delta_error, elapsed_ms, locate_failing_statement, lost_connection, position_of,
    set_local_timeouts, set_timeouts, worth_replaying,
};
use crate::runner::measure::{statement_label, StatementMeasured};
use crate::runner::scope;
use crate::runner::session::SessionReset;
use crate::runner::{RunContext, RunOptions};

use super::{own_transaction, python};

/// How a delta was applied: with its history row in one transaction, and
/// its statements measured one by one (a measured no-transaction delta).
pub(super) struct SqlApplied {
    pub atomic: bool,
    pub statements: Option<Vec<StatementMeasured>>,
}

/// Applies one SQL delta and records it.
pub(super) fn apply_sql(
    client: &mut Client,
    options: &RunOptions,
    reset: &SessionReset,
    recorder: &history::Recorder,
    delta: &Delta,
    sql: &str,
) -> Result<SqlApplied> {
    let not_atomic = |statements| SqlApplied {
        atomic: false,
        statements,
    };
    let t0 = Instant::now();
    match delta.mode {
        TxMode::Atomic => {}
        TxMode::SelfManaged => {
            own_transaction::apply(client, options, reset, delta, sql)?;
            recorder.record(client, delta, elapsed_ms(t0))?;
            return Ok(not_atomic(None));
        }
        TxMode::NoTransaction => {
            let statements = apply_without_transaction(client, options, reset, delta, sql)?;
            recorder.record(client, delta, elapsed_ms(t0))?;
            return Ok(not_atomic(statements));
        }
        TxMode::Python => unreachable!("python deltas are not SQL"),
    }
    // Four round trips, as psql needs for BEGIN, the file, COMMIT: the
    // timeouts travel with the BEGIN, the session reset with the file (so
    // the history row is written as the connecting role), and the history
    // row uses a statement prepared once for the whole run.
    client
        .batch_execute(&format!(
            "{}; {}",
            scope::begin(options),
            set_local_timeouts(options)
        ))
        .map_err(|e| Error::sql("starting a transaction", e))?;
    if let Err(e) = client.batch_execute(&reset.after(sql)) {
        let _ = client.batch_execute(scope::rollback(options));
        let located = if position_of(&e).is_none() && worth_replaying(&e) {
            locate_failing_statement(client, sql, options, options.single_transaction)
        } else {
            None
        };
        return Err(delta_error(&delta.path, sql, &e, located));
    }
    if let Err(e) = recorder.record(client, delta, elapsed_ms(t0)) {
        let _ = client.batch_execute(scope::rollback(options));
        return Err(e);
    }
    client.batch_execute(scope::commit(options)).map_err(|e| {
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
    Ok(SqlApplied {
        atomic: true,
        statements: None,
    })
}

/// Runs a `-- pum:no-transaction` delta statement by statement in
/// autocommit, then makes sure no index it built was left invalid (a failed
/// CREATE INDEX CONCURRENTLY leaves one behind). A measured run also times
/// each statement and the WAL it wrote.
pub(super) fn apply_without_transaction(
    client: &mut Client,
    options: &RunOptions,
    reset: &SessionReset,
    delta: &Delta,
    sql: &str,
) -> Result<Option<Vec<StatementMeasured>>> {
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
    let mut measured = options.measure.then(Vec::new);
    for (i, stmt) in statements.iter().enumerate() {
        let mark = match measured {
            Some(_) => Some((crate::db::wal_position(client)?, Instant::now())),
            None => None,
        };
        if let Err(e) = client.batch_execute(stmt.text) {
            let _ = client.batch_execute(reset.sql());
            return Err(statement_failure(delta, sql, stmt, &e, i, total));
        }
        if let (Some(list), Some((lsn, t0))) = (measured.as_mut(), mark) {
            let code = code_start(stmt.text);
            list.push(StatementMeasured {
                line: sql_lexer::line_col(sql, stmt.start + code).0,
                sql: statement_label(&stmt.text[code..]),
                duration_ms: t0.elapsed().as_millis() as u64,
                wal_bytes: crate::db::wal_since(client, &lsn)?,
            });
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
    Ok(measured)
}

/// The failure of statement `i` (of `total`) of a delta run without a
/// transaction, placed at its line in the file and saying what stayed applied.
fn statement_failure(
    delta: &Delta,
    sql: &str,
    stmt: &sql_lexer::Statement<'_>,
    e: &postgres::Error,
    i: usize,
    total: usize,
) -> Error {
    let lead = stmt.text.len() - stmt.text.trim_start().len();
    let mut err = delta_error(&delta.path, sql, e, Some(stmt.start + lead));
    if let Error::Delta(failure) = &mut err {
        if position_of(e).is_some() {
            // The server's position is relative to the statement alone.
            let offset = stmt.start
                + sql_lexer::char_position_to_byte(stmt.text, position_of(e).unwrap_or(1) as usize);
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
    err
}

/// Where a statement's code starts, after the blank and `--` comment lines
/// before it (the marker line of the first statement among them).
fn code_start(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with("--") {
            return offset + (line.len() - line.trim_start().len());
        }
        offset += line.len();
    }
    text.len() - text.trim_start().len()
}

/// Runs a pre-all/post-all hook. SQL hooks run in a transaction of their own.
pub(super) fn run_hook(
    client: &mut Client,
    hook: &Hook,
    sql: Option<&str>,
    python: Option<(&python::PythonRunner, &python::HookContext<'_>)>,
    run: &RunContext<'_>,
    label: &str,
) -> Result<()> {
    let t0 = Instant::now();
    match sql {
        Some(sql) => scope::unit(client, run.options, |client| {
            set_timeouts(client, run.options, true)?;
            client
                .batch_execute(&run.reset.after(sql))
                .map_err(|e| delta_error(&hook.path, sql, &e, None))
        })?,
        None => {
            let (py, ctx) = python.expect("python runner prepared for python hooks");
            py.run(&hook.path, label, ctx)?;
        }
    }
    run.printer.step(format!(
        "ran {} in {}",
        hook.path.display(),
        format_ms(t0.elapsed().as_millis() as u64)
    ));
    Ok(())
}

pub(super) fn module_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().replace('.', "_"))
        .unwrap_or_else(|| "delta".into())
}
