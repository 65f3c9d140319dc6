//! Deltas with their own top-level `BEGIN`/`COMMIT` ("own transaction"
//! mode), applied as pum 0.x applies them: the whole file in one query, so
//! the server parses all of it before running any (a syntax error anywhere
//! commits nothing), and what the file's COMMIT committed stays committed
//! whatever follows.
//!
//! To say afterwards which lines stayed applied, a marker goes right before
//! each of the file's COMMITs: `set_config('pum.committed_through', LINE)`.
//! A setting changed in a transaction lives or dies with it, so after a
//! failure the setting names the line of the last COMMIT that took effect
//! (the session reset after every delta empties it again).

use postgres::Client;

use crate::deltas::sql_lexer;
use crate::deltas::Delta;
use crate::error::{Error, Result};

use crate::runner::failure::{delta_error, position_of, set_timeouts};
use crate::runner::session::SessionReset;
use crate::runner::RunOptions;

/// The session setting the markers write.
const MARK: &str = "pum.committed_through";

/// The file as sent: markers inserted before its COMMITs, and where they
/// are (character position in the sent text, length in characters), to
/// map the server's positions back onto the file.
#[derive(Debug)]
struct Marked {
    text: String,
    inserted: Vec<(usize, usize)>,
}

fn mark(sql: &str) -> Marked {
    let mut text = String::with_capacity(sql.len() + 64);
    let mut inserted = Vec::new();
    let mut copied = 0;
    for stmt in sql_lexer::split(sql) {
        if !matches!(stmt.first_word().as_str(), "COMMIT" | "END") {
            continue;
        }
        let at = stmt.start + (stmt.text.len() - stmt.text.trim_start().len());
        let (line, _) = sql_lexer::line_col(sql, at);
        text.push_str(&sql[copied..at]);
        let marker = format!("SELECT set_config('{MARK}', '{line}', false); ");
        inserted.push((text.chars().count() + 1, marker.chars().count()));
        text.push_str(&marker);
        copied = at;
    }
    text.push_str(&sql[copied..]);
    Marked { text, inserted }
}

impl Marked {
    /// The file's 1-based character position for one in the sent text.
    fn original_position(&self, sent: usize) -> usize {
        sent - self
            .inserted
            .iter()
            .filter(|(start, _)| *start <= sent)
            .map(|(start, len)| (*len).min(sent - start))
            .sum::<usize>()
    }
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
    let marked = mark(sql);
    let run = client
        .batch_execute("BEGIN")
        .and_then(|_| client.batch_execute(&marked.text))
        .and_then(|_| client.batch_execute("COMMIT"));
    if let Err(e) = run {
        let _ = client.batch_execute("ROLLBACK");
        let committed: Option<String> = client
            .query_one("SELECT current_setting($1, true)", &[&MARK])
            .ok()
            .and_then(|row| row.get(0))
            .filter(|v: &String| !v.is_empty());
        let _ = client.batch_execute(reset.sql());
        return Err(failure(delta, sql, &marked, &e, committed));
    }
    client
        .batch_execute(reset.sql())
        .map_err(|e| Error::sql("resetting the session after the delta", e))
}

/// The error: the server's position mapped onto the file, and which lines
/// the delta's own COMMIT kept.
fn failure(
    delta: &Delta,
    sql: &str,
    marked: &Marked,
    err: &postgres::Error,
    committed: Option<String>,
) -> Error {
    let mut error = delta_error(&delta.path, &marked.text, err, None);
    if let Error::Delta(failure) = &mut error {
        if let Some(p) = position_of(err) {
            let original = marked.original_position(p as usize);
            let offset = sql_lexer::char_position_to_byte(sql, original);
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
    fn a_marker_goes_before_each_commit_and_positions_map_back() {
        let sql = "BEGIN;\nCREATE TABLE é ();\nCOMMIT;\nCREATE TABEL b ();\nEND;\n";
        let m = mark(sql);
        assert_eq!(
            m.text,
            "BEGIN;\nCREATE TABLE é ();\n\
             SELECT set_config('pum.committed_through', '3', false); COMMIT;\nCREATE TABEL b ();\n\
             SELECT set_config('pum.committed_through', '5', false); END;\n"
        );
        assert_eq!(m.inserted.len(), 2);
        // `TABEL` on line 4 of the file, wherever it is in the sent text.
        let tabel_sent = m.text[..m.text.find("TABEL").unwrap()].chars().count() + 1;
        let tabel_file = sql[..sql.find("TABEL").unwrap()].chars().count() + 1;
        assert_eq!(m.original_position(tabel_sent), tabel_file);
        // Before any marker nothing moves; a file without COMMIT is sent as is.
        assert_eq!(m.original_position(3), 3);
        assert_eq!(mark("SELECT 1;").text, "SELECT 1;");
    }
}
