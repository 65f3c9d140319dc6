//! A small SQL lexer that knows where statements end: it skips quoted
//! strings, quoted identifiers, dollar-quoted bodies, `E''` strings and
//! comments, and keeps `BEGIN ATOMIC ... END` function bodies whole. It lets
//! pum tell whether a delta manages its own transaction and locate a failing
//! statement.

/// One statement of a script: its byte range (without the `;`) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

impl Statement<'_> {
    /// The first keyword, upper-cased (`BEGIN`, `CREATE`...).
    pub fn first_word(&self) -> String {
        leading_words(self.text, 1)
            .into_iter()
            .next()
            .unwrap_or_default()
    }
}

/// Splits `sql` into statements. Empty statements (only whitespace and
/// comments) are left out. Joining the returned ranges with the separators
/// between them gives back the input.
pub fn split<'a>(sql: &'a str) -> Vec<Statement<'a>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut words: Vec<String> = Vec::new(); // leading words of the current statement
    let mut block_depth = 0usize; // BEGIN ATOMIC / CASE nesting inside CREATE FUNCTION
    let push = |out: &mut Vec<Statement<'a>>, s: usize, e: usize| {
        let text = &sql[s..e];
        if has_code(text) {
            out.push(Statement {
                start: s,
                end: e,
                text,
            });
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' => i = skip_quoted(bytes, i, b'\'', is_escape_string(bytes, i)),
            b'"' => i = skip_quoted(bytes, i, b'"', false),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            b'$' => match dollar_tag(bytes, i) {
                Some(tag) => i = skip_dollar(bytes, i, tag),
                None => i += 1,
            },
            b';' if block_depth == 0 => {
                push(&mut out, start, i);
                i += 1;
                start = i;
                words.clear();
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let s = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                let word = sql[s..i].to_ascii_uppercase();
                let in_routine = words.first().map(String::as_str) == Some("CREATE")
                    && words.iter().any(|w| w == "FUNCTION" || w == "PROCEDURE");
                if in_routine {
                    match word.as_str() {
                        "ATOMIC" if words.last().map(String::as_str) == Some("BEGIN") => {
                            block_depth += 1
                        }
                        "CASE" if block_depth > 0 => block_depth += 1,
                        "END" if block_depth > 0 => block_depth -= 1,
                        _ => {}
                    }
                }
                if words.len() < 64 {
                    words.push(word);
                }
            }
            _ => i += 1,
        }
    }
    push(&mut out, start, bytes.len());
    out
}

/// Whether a script contains top-level transaction control (`BEGIN`,
/// `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`), i.e. manages its
/// own transactions and so cannot be applied atomically with its history row.
pub fn manages_transaction(sql: &str) -> bool {
    split(sql).iter().any(|s| {
        let w = leading_words(s.text, 2);
        matches!(
            w.first().map(String::as_str),
            Some("BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "ABORT")
        ) || (w.first().map(String::as_str) == Some("START")
            && w.get(1).map(String::as_str) == Some("TRANSACTION"))
            || (w.first().map(String::as_str) == Some("PREPARE")
                && w.get(1).map(String::as_str) == Some("TRANSACTION"))
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, byte_offset: usize) -> (usize, usize) {
    let upto = &text[..byte_offset.min(text.len())];
    let line = upto.matches('\n').count() + 1;
    let col = upto
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Byte offset of a 1-based character position (as the server reports it).
pub fn char_position_to_byte(text: &str, position: usize) -> usize {
    text.char_indices()
        .nth(position.saturating_sub(1))
        .map(|(b, _)| b)
        .unwrap_or(text.len())
}

fn leading_words(text: &str, n: usize) -> Vec<String> {
    let mut words = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && words.len() < n {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let s = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                words.push(text[s..i].to_ascii_uppercase());
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => break,
        }
    }
    words
}

fn has_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            c if c.is_ascii_whitespace() => i += 1,
            _ => return true,
        }
    }
    false
}

fn is_escape_string(bytes: &[u8], quote: usize) -> bool {
    quote > 0
        && matches!(bytes[quote - 1], b'e' | b'E')
        && (quote < 2 || !(bytes[quote - 2].is_ascii_alphanumeric() || bytes[quote - 2] == b'_'))
}

/// Returns the index just past the closing quote (or the end of input).
fn skip_quoted(bytes: &[u8], open: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if backslash_escapes && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The index just past the block comment opening at `open` (or the end of input).
pub(crate) fn skip_block_comment(bytes: &[u8], open: usize) -> usize {
    // Block comments nest in PostgreSQL.
    let mut depth = 0;
    let mut i = open;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// The dollar-quote tag starting at `i` (`$$`, `$body$`), if it is one.
fn dollar_tag(bytes: &[u8], i: usize) -> Option<&[u8]> {
    // `$1` is a parameter, and `a$b` is part of an identifier.
    if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        return None;
    }
    let mut j = i + 1;
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
        if j == i + 1 && bytes[j].is_ascii_digit() {
            return None;
        }
        j += 1;
    }
    (bytes.get(j) == Some(&b'$')).then(|| &bytes[i..=j])
}

fn skip_dollar(bytes: &[u8], open: usize, tag: &[u8]) -> usize {
    let mut i = open + tag.len();
    while i + tag.len() <= bytes.len() {
        if &bytes[i..i + tag.len()] == tag {
            return i + tag.len();
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql).into_iter().map(|s| s.text.trim()).collect()
    }

    #[test]
    fn splits_around_quotes_comments_and_dollar_bodies() {
        let sql = "SELECT ';'; -- a;b\nSELECT \"x;y\" FROM t; /* c; /* nested; */ */ SELECT $f$ a; b $f$;\
                   CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; SELECT E'\\';'";
        let parts = texts(sql);
        assert_eq!(parts.len(), 5, "{parts:?}");
        assert_eq!(parts[0], "SELECT ';'");
        assert!(parts[3].starts_with("CREATE FUNCTION"));
        assert_eq!(parts[4], "SELECT E'\\';'");
    }

    #[test]
    fn keeps_begin_atomic_bodies_whole() {
        let sql = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END; SELECT 2; END; SELECT 3;";
        let parts = texts(sql);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(!manages_transaction(sql));
    }

    #[test]
    fn detects_top_level_transaction_control() {
        assert!(manages_transaction("BEGIN;\nCREATE TABLE a();\nCOMMIT;"));
        assert!(manages_transaction("start transaction; select 1; end;"));
        assert!(!manages_transaction(
            "CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM 1; END; $$ LANGUAGE plpgsql;"
        ));
        assert!(!manages_transaction("-- BEGIN;\nSELECT 'COMMIT';"));
    }

    #[test]
    fn positions_map_to_lines() {
        let text = "a\nbé\ncd";
        assert_eq!(line_col(text, char_position_to_byte(text, 5)), (2, 3));
        assert_eq!(line_col(text, 0), (1, 1));
    }
}
