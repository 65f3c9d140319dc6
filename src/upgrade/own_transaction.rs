//! Deltas with their own top-level `BEGIN`/`COMMIT` ("own transaction"
//! mode), applied as pum 0.x applies them: what the file's COMMIT committed
//! stays committed whatever follows. The file is sent in parts that each
//! end with one of its COMMITs, so that when a later part fails pum can say
//! exactly which lines stayed applied.

use postgres::Client;

use crate::deltas::sql_lexer;
use crate::deltas::Delta;
use crate::error::{Error, Result};

use super::session::SessionReset;
use super::{delta_error, position_of, set_timeouts, RunOptions};

/// One piece of the file: a byte range and, when it ends with a COMMIT of
/// the file's own, the line of that COMMIT.
#[derive(Debug, PartialEq)]
struct Part {
    start: usize,
    end: usize,
    commit_line: Option<usize>,
}

/// Cuts `sql` after each top-level `COMMIT`/`END`; the parts cover the text.
fn parts(sql: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut start = 0;
    for stmt in sql_lexer::split(sql) {
        if matches!(stmt.first_word().as_str(), "COMMIT" | "END") {
            let mut end = stmt.end;
            if sql[end..].starts_with(';') {
                end += 1;
            }
            let lead = stmt.text.len() - stmt.text.trim_start().len();
            let (line, _) = sql_lexer::line_col(sql, stmt.start + lead);
            out.push(Part {
                start,
                end,
                commit_line: Some(line),
            });
            start = end;
        }
    }
    if start < sql.len() || out.is_empty() {
        out.push(Part {
            start,
            end: sql.len(),
            commit_line: None,
        });
    }
    out
}

/// Runs the delta (inside a transaction its own COMMIT ends, as pum 0.x
/// does); on failure the error says what its COMMITs kept.
pub(super) fn apply(
    client: &mut Client,
    options: &RunOptions,
    reset: &SessionReset,
    delta: &Delta,
    sql: &str,
) -> Result<()> {
    set_timeouts(client, options, false)?;
    client
        .batch_execute("BEGIN")
        .map_err(|e| Error::sql("starting a transaction", e))?;
    let parts = parts(sql);
    let mut committed: Option<usize> = None;
    for part in &parts {
        let text = &sql[part.start..part.end];
        if let Err(e) = client.batch_execute(text) {
            return Err(fail(client, reset, delta, sql, part, &e, committed));
        }
        committed = part.commit_line.or(committed);
    }
    let last = parts.last().expect("at least one part");
    if let Err(e) = client.batch_execute("COMMIT") {
        return Err(fail(client, reset, delta, sql, last, &e, committed));
    }
    client
        .batch_execute(reset.sql())
        .map_err(|e| Error::sql("resetting the session after the delta", e))
}

/// Rolls back what is still open, resets the session and builds the error:
/// the server's position mapped onto the whole file, and which lines the
/// delta's own COMMIT kept.
fn fail(
    client: &mut Client,
    reset: &SessionReset,
    delta: &Delta,
    sql: &str,
    part: &Part,
    err: &postgres::Error,
    committed: Option<usize>,
) -> Error {
    let _ = client.batch_execute("ROLLBACK");
    let _ = client.batch_execute(reset.sql());
    let text = &sql[part.start..part.end];
    let mut error = delta_error(&delta.path, text, err, None);
    if let Error::Delta(failure) = &mut error {
        if let Some(p) = position_of(err) {
            let offset = part.start + sql_lexer::char_position_to_byte(text, p as usize);
            let (line, column) = sql_lexer::line_col(sql, offset);
            failure.line = Some(line);
            failure.column = Some(column);
        }
        if let Some(line) = committed {
            failure.message = format!(
                "{} (statements up to line {line} were committed by the delta's own COMMIT and stay \
                 applied; nothing was recorded: make the rest safe to re-run, fix it, and run upgrade again)",
                failure.message
            );
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_cut_after_each_of_its_commits() {
        let sql = "BEGIN;\nCREATE TABLE a ();\nCOMMIT;\nCREATE TABLE b ();\n";
        let p = parts(sql);
        assert_eq!(p.len(), 2);
        assert_eq!(
            &sql[p[0].start..p[0].end],
            "BEGIN;\nCREATE TABLE a ();\nCOMMIT;"
        );
        assert_eq!(p[0].commit_line, Some(3));
        assert_eq!(&sql[p[1].start..p[1].end], "\nCREATE TABLE b ();\n");
        assert_eq!(p[1].commit_line, None);
        // A file ending with its COMMIT is one part; an empty file is one too.
        assert_eq!(parts("BEGIN; SELECT 1; END;").len(), 1);
        assert_eq!(parts("").len(), 1);
    }
}
