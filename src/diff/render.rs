//! The text form of a [`Report`]: the verdict, the differences kind by kind
//! (`-` only in the first database, `+` only in the second, `~` changed; long
//! definitions as unified diffs) and a summary table.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use super::{Report, Side};
use crate::catalog::Kind;
use crate::output::{Printer, Style};

/// Values longer than this, or spanning lines, are shown as a unified diff.
const INLINE_LIMIT: usize = 80;

impl Report {
    /// The report as text. `silent`: the verdict line only.
    pub fn render_text(&self, printer: &Printer, silent: bool) -> String {
        let mut out = String::new();
        let verdict = self.verdict();
        let style = if self.is_empty() {
            Style::Good
        } else {
            Style::Bad
        };
        out.push_str(&printer.paint(&verdict, style));
        out.push('\n');
        if silent || self.is_empty() {
            return out;
        }
        let mut current: Option<Kind> = None;
        for d in &self.differences {
            if current != Some(d.kind) {
                current = Some(d.kind);
                out.push('\n');
                out.push_str(&printer.paint(d.kind.name(), Style::Heading));
                out.push('\n');
            }
            out.push_str(&difference(printer, d));
        }
        out.push('\n');
        let mut table = printer.table(&["Kind", "Only in first", "Only in second", "Changed"]);
        for kind in Kind::ALL {
            let (l, r, c) = self.counts(kind);
            if l + r + c > 0 {
                table.add_row(vec![
                    kind.name().to_string(),
                    l.to_string(),
                    r.to_string(),
                    c.to_string(),
                ]);
            }
        }
        out.push_str(&table.to_string());
        out.push('\n');
        out
    }
}

/// A short value for the `left → right` form; absent and empty are visible.
fn show(value: Option<&str>) -> String {
    match value {
        None => "(none)".to_string(),
        Some("") => "\"\"".to_string(),
        Some(v) => v.to_string(),
    }
}

/// A unified diff of two texts, indented under its difference line.
fn unified(printer: &Printer, left: &str, right: &str) -> String {
    let diff = TextDiff::from_lines(left, right);
    let mut out = String::new();
    let _ = writeln!(out, "    {}", printer.paint("--- first", Style::Bad));
    let _ = writeln!(out, "    {}", printer.paint("+++ second", Style::Good));
    for group in diff.grouped_ops(3) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let (o, n) = (first.old_range().start, first.new_range().start);
        let (oe, ne) = (last.old_range().end, last.new_range().end);
        let hunk = format!("@@ -{},{} +{},{} @@", o + 1, oe - o, n + 1, ne - n);
        let _ = writeln!(out, "    {}", printer.paint(&hunk, Style::Dim));
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, style) = match change.tag() {
                    ChangeTag::Delete => ("-", Some(Style::Bad)),
                    ChangeTag::Insert => ("+", Some(Style::Good)),
                    ChangeTag::Equal => (" ", None),
                };
                let text = change.value().trim_end_matches('\n');
                let line = format!("{sign}{text}");
                let line = match style {
                    Some(s) => printer.paint(&line, s),
                    None => line,
                };
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

/// One difference as the text report shows it (`- `, `+ `, `~ `, long
/// values as a unified diff), each line indented and ending in a new line.
pub(super) fn difference(printer: &Printer, d: &super::Difference) -> String {
    let mut out = String::new();
    match d.side {
        Side::Left => {
            let line = format!("- {}", d.object);
            let _ = writeln!(out, "  {}", printer.paint(&line, Style::Bad));
        }
        Side::Right => {
            let line = format!("+ {}", d.object);
            let _ = writeln!(out, "  {}", printer.paint(&line, Style::Good));
        }
        Side::Both => {
            let field = d.field.as_deref().unwrap_or("");
            let l = d.left.as_deref();
            let r = d.right.as_deref();
            let long = [l, r]
                .iter()
                .flatten()
                .any(|v| v.contains('\n') || v.chars().count() > INLINE_LIMIT);
            let head = printer.paint(&format!("~ {}", d.object), Style::Changed);
            if long {
                let _ = writeln!(out, "  {head}: {field}:");
                out.push_str(&unified(printer, l.unwrap_or(""), r.unwrap_or("")));
            } else {
                let _ = writeln!(out, "  {head}: {field}: {} → {}", show(l), show(r));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Difference;
    use super::*;
    use crate::cli::Format;

    fn report() -> Report {
        Report {
            differences: [
                super::super::sample_differences(),
                vec![Difference::changed(
                    Kind::Functions,
                    "public.f()",
                    "definition",
                    Some("BEGIN\n  RETURN 1;\nEND"),
                    Some("BEGIN\n  RETURN 2;\nEND"),
                )],
            ]
            .concat(),
            same_database: false,
            compared: Kind::ALL.to_vec(),
        }
    }

    #[test]
    fn text_report_lists_every_difference_and_a_summary() {
        let text = report().render_text(&Printer::plain(Format::Text), false);
        assert!(text.starts_with("3 differences\n"), "{text}");
        assert!(text.contains("tables\n  - public.gone\n"), "{text}");
        assert!(
            text.contains("  ~ public.t.a: type: integer → bigint\n"),
            "{text}"
        );
        assert!(
            text.contains("    -  RETURN 1;\n    +  RETURN 2;\n"),
            "{text}"
        );
        assert!(text.contains("@@ -1,3 +1,3 @@"), "{text}");
        assert!(text.contains("Only in first"), "{text}");
    }

    #[test]
    fn silent_and_empty_reports_are_one_line() {
        let p = Printer::plain(Format::Text);
        assert_eq!(report().render_text(&p, true), "3 differences\n");
        assert_eq!(Report::default().render_text(&p, false), "OK\n");
    }
}
