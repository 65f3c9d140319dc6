//! The comments pum 1.x removes from changelog SQL before running it, so a
//! database built by either tool has the same catalog (function bodies and
//! view definitions keep or lose the same comment lines).
//!
//! pum 1.x's rule is textual, not lexical: every `/* … */` goes, then every
//! `--` comment that starts a line (after optional white space, which may
//! span earlier blank lines) or follows a `;`, together with the white space
//! before it and its line end. A `--` after other code on a line stays, as
//! does a comment on a last line without a line end. Since it ignores
//! quoting, the same happens inside string literals and dollar-quoted
//! bodies; that is what pum 1.x runs, so it is what runs here.
//!
//! The text that runs is shorter than the file; [`Stripped::original`] maps
//! a position in it back to the file, so errors still name the file's line.

use std::sync::OnceLock;

use regex::Regex;

/// Changelog SQL as pum 1.x runs it, with the way back to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    pub text: String,
    /// Runs kept from the file: (start in `text`, start in the file), in order.
    kept: Vec<(usize, usize)>,
}

impl Stripped {
    /// The byte offset in the file of byte `at` of [`Stripped::text`].
    pub fn original(&self, at: usize) -> usize {
        let i = self.kept.partition_point(|(start, _)| *start <= at);
        match i.checked_sub(1).map(|i| self.kept[i]) {
            Some((start, from)) => from + (at - start),
            None => at,
        }
    }
}

fn block_comment() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?s)/\*.*?\*/").expect("a valid pattern"))
}

fn line_comment() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?m)(^|;)\s*--.*?(\r\n|\r|\n)").expect("a valid pattern"))
}

/// `sql` without the comments pum 1.x removes.
pub fn strip(sql: &str) -> Stripped {
    let first = remove(sql, block_comment(), false);
    let second = remove(&first.text, line_comment(), true);
    // Compose the two maps: text → first.text → sql.
    let kept = second
        .kept
        .iter()
        .flat_map(|&(out, mid)| split_run(&first, out, mid, run_len(&second, out)))
        .collect();
    Stripped {
        text: second.text,
        kept,
    }
}

/// The length of the kept run of `s` that starts at `out`.
fn run_len(s: &Stripped, out: usize) -> usize {
    let i = s.kept.partition_point(|(start, _)| *start <= out);
    let end = s.kept.get(i).map_or(s.text.len(), |(start, _)| *start);
    end - out
}

/// A run of `len` bytes at `out` (in the final text) that starts at `mid`
/// in `first.text`, cut where `first`'s own runs begin, mapped to the file.
fn split_run(first: &Stripped, out: usize, mid: usize, len: usize) -> Vec<(usize, usize)> {
    let mut pieces = vec![(out, first.original(mid))];
    for &(start, from) in &first.kept {
        if start > mid && start < mid + len {
            pieces.push((out + (start - mid), from));
        }
    }
    pieces
}

/// Removes every match of `re`; with `keep_first_group`, the match's first
/// group (the `;` before a comment) stays.
fn remove(text: &str, re: &Regex, keep_first_group: bool) -> Stripped {
    let mut out = String::with_capacity(text.len());
    let mut kept = Vec::new();
    let mut from = 0;
    for caps in re.captures_iter(text) {
        let whole = caps.get(0).expect("the whole match");
        let keep_to = match (keep_first_group, caps.get(1)) {
            (true, Some(g)) => g.end(),
            _ => whole.start(),
        };
        if keep_to > from {
            kept.push((out.len(), from));
            out.push_str(&text[from..keep_to]);
        }
        from = whole.end();
    }
    if from < text.len() {
        kept.push((out.len(), from));
        out.push_str(&text[from..]);
    }
    Stripped { text: out, kept }
}

/// pum 1.x refuses a changelog that sets the search path through
/// `set_config` (it breaks PostGIS installs): the same text it looks for.
pub fn sets_search_path(stripped: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)SELECT +pg_catalog\.set_config.*search_path.*;").expect("a valid pattern")
    })
    .is_match(stripped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_go_as_pum_1x_removes_them() {
        let sql = "-- header\nCREATE TABLE a (id int); -- after a semicolon\n\
                   SELECT 1 -- after code stays\n;\n/* block\n spans */CREATE VIEW v AS SELECT 2;\n\
                   CREATE FUNCTION f() RETURNS int AS $$\n    -- inside a body\n    SELECT 1;\n$$ LANGUAGE sql;\n-- last";
        let s = strip(sql);
        assert_eq!(
            s.text,
            "CREATE TABLE a (id int);SELECT 1 -- after code stays\n;\nCREATE VIEW v AS SELECT 2;\n\
             CREATE FUNCTION f() RETURNS int AS $$\n    SELECT 1;\n$$ LANGUAGE sql;\n-- last"
        );
    }

    #[test]
    fn positions_map_back_to_the_file() {
        let sql = "-- one\n-- two\nSELECT 1;\n/* x */SELECT oops;\n";
        let s = strip(sql);
        assert_eq!(s.text, "SELECT 1;\nSELECT oops;\n");
        let at = s.text.find("oops").unwrap();
        assert_eq!(&sql[s.original(at)..s.original(at) + 4], "oops");
        assert_eq!(s.original(0), sql.find("SELECT 1").unwrap());
    }

    #[test]
    fn setting_the_search_path_is_found_as_pum_1x_finds_it() {
        assert!(sets_search_path(
            "SELECT pg_catalog.set_config('search_path', '', false);"
        ));
        assert!(!sets_search_path("SET search_path = a;"));
    }
}
