//! How a failing unit is reported: the server's error mapped back onto the
//! file's line and column (replaying its statements when the server gives
//! no position), a lost connection said as such, and the per-unit timeouts
//! every layout sets the same way.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::deltas::sql_lexer;
use crate::error::{DeltaFailure, Error, Result};

use super::RunOptions;

/// SQLSTATE of `lock_not_available`, raised when `lock_timeout` fires.
pub const LOCK_NOT_AVAILABLE: &str = "55P03";

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
    in_transaction: bool,
) -> Option<usize> {
    // Inside a transaction (a module version, a single-transaction run) the
    // replay is a savepoint of it; otherwise a transaction of its own.
    // Either way it is undone.
    let (open, undo) = if in_transaction {
        (
            "SAVEPOINT pum_replay",
            "ROLLBACK TO SAVEPOINT pum_replay; RELEASE SAVEPOINT pum_replay",
        )
    } else {
        ("BEGIN", "ROLLBACK")
    };
    client.batch_execute(open).ok()?;
    let found = set_timeouts(client, options, true).ok().and_then(|()| {
        sql_lexer::split(sql).into_iter().find_map(|stmt| {
            client.batch_execute(stmt.text).is_err().then(|| {
                let lead = stmt.text.len() - stmt.text.trim_start().len();
                stmt.start + lead
            })
        })
    });
    let _ = client.batch_execute(undo);
    found
}

/// A delta whose session ended under it (server restart, terminated backend).
pub(crate) fn lost_connection(path: &Path, err: &postgres::Error, when: &str, then: &str) -> Error {
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

pub fn delta_error(path: &Path, sql: &str, err: &postgres::Error, located: Option<usize>) -> Error {
    delta_error_in(path, sql, err, located, |o| sql_lexer::line_col(sql, o))
}

/// [`delta_error`] for SQL that is not the file as written (comments
/// removed): `lines` turns a byte offset in `sql` into the file's line and
/// column.
pub fn delta_error_in(
    path: &Path,
    sql: &str,
    err: &postgres::Error,
    located: Option<usize>,
    lines: impl Fn(usize) -> (usize, usize),
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
            let (l, c) = lines(o);
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
