//! One SQL file read by PostgreSQL's own parser and scanner (libpg_query):
//! its statements with where each starts and ends, and its comments (which
//! the scanner finds, so a `--` inside a string is never one). A file that
//! does not parse is an error naming file:line:column and the parser's
//! message.

use std::path::Path;

use pg_query::protobuf::{Node, Token};

use super::location::LineIndex;
use crate::error::{Error, Result};

/// A statement of the file: its parse tree and its byte range (first token
/// to its semicolon, comments before it left out).
pub struct Statement {
    pub node: Node,
    pub start: usize,
    pub end: usize,
}

/// A comment as the scanner found it.
pub struct Comment {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A parsed file.
pub struct Parsed {
    pub statements: Vec<Statement>,
    pub comments: Vec<Comment>,
    /// Start and end of every token that is not a comment, in order.
    pub tokens: Vec<(usize, usize)>,
}

/// Parses `sql` (placeholders already masked); `original` is the file's
/// text, for positions in errors.
pub fn parse(path: &Path, sql: &str) -> Result<Parsed> {
    let tree = pg_query::parse(sql).map_err(|e| syntax_error(path, sql, &e))?;
    let scanned = pg_query::scan(sql).map_err(|e| syntax_error(path, sql, &e))?;
    let mut comments = Vec::new();
    let mut tokens = Vec::new();
    for t in &scanned.tokens {
        let (start, end) = (t.start as usize, t.end as usize);
        if t.token == Token::SqlComment as i32 || t.token == Token::CComment as i32 {
            comments.push(Comment {
                start,
                end,
                text: sql[start..end].to_string(),
            });
        } else {
            tokens.push((start, end));
        }
    }
    let mut statements = Vec::new();
    for raw in tree.protobuf.stmts {
        let Some(node) = raw.stmt else { continue };
        let from = raw.stmt_location as usize;
        let to = match raw.stmt_len {
            0 => sql.len(),
            n => from + n as usize,
        };
        let mine: Vec<_> = tokens
            .iter()
            .filter(|(s, _)| *s >= from && *s < to)
            .collect();
        let (Some(first), Some(last)) = (mine.first(), mine.last()) else {
            continue;
        };
        // The terminating semicolon is part of the statement.
        let end = tokens
            .iter()
            .find(|(s, _)| *s >= last.1)
            .filter(|(s, e)| &sql[*s..*e] == ";")
            .map_or(last.1, |(_, e)| *e);
        statements.push(Statement {
            node: *node,
            start: first.0,
            end,
        });
    }
    Ok(Parsed {
        statements,
        comments,
        tokens,
    })
}

/// The parser's message with the position of the token it stopped at.
fn syntax_error(path: &Path, sql: &str, err: &pg_query::Error) -> Error {
    let message = match err {
        pg_query::Error::Parse(m) | pg_query::Error::Scan(m) => m.clone(),
        other => other.to_string(),
    };
    let (line, col) = LineIndex::new(sql).line_col(error_offset(sql));
    Error::Deltas(format!(
        "{}:{line}:{col}: the SQL does not parse: {message}",
        path.display()
    ))
}

/// Where the parser gives up. The library reports no position, so it is
/// found again: the failing statement first, then the shortest prefix of
/// its tokens that already fails with something other than "at end of
/// input" (a left-to-right parser fails at the same token for every prefix
/// that holds it, and never before).
fn error_offset(sql: &str) -> usize {
    let Ok(pieces) = pg_query::split_with_scanner(sql) else {
        return 0;
    };
    let base = sql.as_ptr() as usize;
    let Some(bad) = pieces.into_iter().find(|p| pg_query::parse(p).is_err()) else {
        return 0;
    };
    let at = bad.as_ptr() as usize - base;
    let Ok(scanned) = pg_query::scan(bad) else {
        return at + (bad.len() - bad.trim_start().len());
    };
    let ends: Vec<usize> = scanned.tokens.iter().map(|t| t.end as usize).collect();
    let fails_within = |k: usize| match pg_query::parse(&bad[..ends[k]]) {
        Ok(_) => false,
        Err(e) => !e.to_string().contains("at end of input"),
    };
    // Smallest k whose prefix (tokens 0..=k) fails.
    let (mut lo, mut hi) = (0, ends.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if fails_within(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    match scanned.tokens.get(lo) {
        Some(t) => at + t.start as usize,
        // Fails only at the end: the statement is cut short.
        None => at + bad.trim_end().len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(sql: &str) -> String {
        match parse(Path::new("d.sql"), sql) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{sql:?} parsed"),
        }
    }

    #[test]
    fn statements_start_at_their_first_token() {
        let sql = "-- head\nCREATE TABLE a (x int);\n\n/* c */ ALTER TABLE a\n  ADD COLUMN y int;";
        let p = parse(Path::new("d.sql"), sql).unwrap();
        assert_eq!(p.statements.len(), 2);
        assert_eq!(
            &sql[p.statements[0].start..p.statements[0].end],
            "CREATE TABLE a (x int);"
        );
        assert!(sql[p.statements[1].start..].starts_with("ALTER TABLE a"));
        assert_eq!(p.comments.len(), 2);
        assert_eq!(p.comments[0].text, "-- head");
    }

    #[test]
    fn syntax_errors_name_the_token_where_parsing_stops() {
        let e = error_of("SELECT 1;\nCREATE TABLE t (\n  a int,\n  b intt x\n);");
        assert!(
            e.starts_with("d.sql:4:10: the SQL does not parse: syntax error at or near \"x\""),
            "{e}"
        );
        let e = error_of("SELECT 1;\nALTER TABLE t ADD COLUMN");
        assert!(e.starts_with("d.sql:2:25:"), "{e}");
        assert!(e.contains("at end of input"), "{e}");
    }
}
