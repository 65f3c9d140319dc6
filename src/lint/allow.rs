//! `-- pum:allow RULE[, RULE …]` comments: which rules they silence and
//! for what. A comment before the file's first statement silences its
//! rules for the whole file. Any other one silences them for one
//! statement: the statement it stands in or ends the line of, or else
//! the statement that starts on the next line. Text after a second `--`
//! is a free reason (`-- pum:allow lock-table -- the table is tiny`).

use std::collections::BTreeSet;

use super::location::LineIndex;
use super::source::Parsed;

const MARKER: &str = "pum:allow";

/// The rule ids one comment names, or `None` when it is no allow comment.
pub fn parse_allow(comment: &str) -> Option<Vec<String>> {
    let body = if let Some(line) = comment.strip_prefix("--") {
        line
    } else {
        comment.strip_prefix("/*")?.strip_suffix("*/")?
    };
    let rest = body.trim_start().strip_prefix(MARKER)?;
    if !(rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || c == ':')) {
        return None;
    }
    let rest = rest.trim_start_matches(':');
    let ids = rest.split("--").next().unwrap_or_default();
    Some(
        ids.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// What the allow comments of one file silence.
#[derive(Debug, Default)]
pub struct Allows {
    pub file: BTreeSet<String>,
    /// One set per statement, in order.
    pub statements: Vec<BTreeSet<String>>,
    /// Ids naming no rule, with the byte offset of their comment.
    pub unknown: Vec<(usize, String)>,
}

impl Allows {
    pub fn silences(&self, statement: Option<usize>, rule: &str) -> bool {
        self.file.contains(rule)
            || statement
                .and_then(|i| self.statements.get(i))
                .is_some_and(|s| s.contains(rule))
    }
}

/// Reads the allow comments of a parsed file.
pub fn collect(parsed: &Parsed, lines: &LineIndex<'_>, known: impl Fn(&str) -> bool) -> Allows {
    let mut allows = Allows {
        statements: vec![BTreeSet::new(); parsed.statements.len()],
        ..Allows::default()
    };
    for comment in &parsed.comments {
        let Some(ids) = parse_allow(&comment.text) else {
            continue;
        };
        let target = target_of(parsed, lines, comment.start, comment.end);
        for id in ids {
            if !known(&id) {
                allows.unknown.push((comment.start, id));
                continue;
            }
            match target {
                Target::File => {
                    allows.file.insert(id);
                }
                Target::Statement(i) => {
                    allows.statements[i].insert(id);
                }
                Target::Nothing => {}
            }
        }
    }
    allows
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    File,
    Statement(usize),
    Nothing,
}

/// The statement a comment speaks for (see the module's comment).
fn target_of(parsed: &Parsed, lines: &LineIndex<'_>, start: usize, end: usize) -> Target {
    let stmts = &parsed.statements;
    match stmts.first() {
        None => return Target::File,
        Some(first) if start < first.start => return Target::File,
        Some(_) => {}
    }
    // The statement a position belongs to: the last one starting at or before it.
    let owner = |at: usize| stmts.partition_point(|s| s.start <= at).checked_sub(1);
    let line = lines.line(start);
    let before_on_line = parsed
        .tokens
        .iter()
        .take_while(|(s, _)| *s < start)
        .last()
        .filter(|(s, _)| lines.line(*s) == line);
    if let Some((s, _)) = before_on_line {
        return owner(*s).map_or(Target::Nothing, Target::Statement);
    }
    if let Some(i) = owner(start).filter(|&i| start < stmts[i].end) {
        return Target::Statement(i);
    }
    let next = stmts.partition_point(|s| s.start < end);
    match stmts.get(next) {
        Some(s) if lines.line(s.start) == lines.line(end) + 1 => Target::Statement(next),
        _ => Target::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn allow_comments_name_rules_comma_or_space_separated() {
        assert_eq!(
            parse_allow("-- pum:allow lock-table"),
            Some(vec!["lock-table".into()])
        );
        assert_eq!(
            parse_allow("--pum:allow a,b  c, d -- because the table is small"),
            Some(vec!["a".into(), "b".into(), "c".into(), "d".into()])
        );
        assert_eq!(parse_allow("/* pum:allow: x */"), Some(vec!["x".into()]));
        assert_eq!(parse_allow("-- pum:allow"), Some(vec![]));
        assert_eq!(parse_allow("-- pum:allowed x"), None);
        assert_eq!(parse_allow("-- see pum:allow x"), None);
        assert_eq!(parse_allow("-- pum:no-transaction"), None);
    }

    fn allows(sql: &str) -> Allows {
        let parsed = crate::lint::source::parse(Path::new("t.sql"), sql).unwrap();
        collect(&parsed, &LineIndex::new(sql), |id| id != "nope")
    }

    #[test]
    fn each_comment_speaks_for_the_file_or_one_statement() {
        let sql = "-- pum:allow cluster\n\
                   SELECT 1;\n\
                   -- pum:allow lock-table, nope\n\
                   SELECT 2;\n\
                   SELECT 3; -- pum:allow drop-column\n\
                   SELECT 4\n  -- pum:allow vacuum-full\n  ;\n\
                   -- pum:allow rename-column\n\n\
                   SELECT 5;";
        let a = allows(sql);
        assert_eq!(a.file, BTreeSet::from(["cluster".to_string()]));
        let sets: Vec<Vec<&str>> = a
            .statements
            .iter()
            .map(|s| s.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            sets,
            vec![
                vec![],
                vec!["lock-table"],
                vec!["drop-column"],
                vec!["vacuum-full"],
                vec![]
            ]
        );
        assert_eq!(
            a.unknown,
            vec![(sql.find("-- pum:allow lock").unwrap(), "nope".to_string())]
        );
        assert!(a.silences(Some(4), "cluster"));
        assert!(!a.silences(Some(0), "lock-table"));
    }
}
