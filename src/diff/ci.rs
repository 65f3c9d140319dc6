//! A [`Report`] for CI: JUnit (a case per object kind compared, failing
//! with its differences) and Markdown for a pull-request comment (the
//! verdict, the summary table, each kind's differences in a fenced diff).

use std::fmt::Write;

use super::render::difference;
use super::Report;
use crate::junit::{self, Case};
use crate::output::{Format, Printer};

impl Report {
    /// JUnit: one case per kind compared.
    pub fn render_junit(&self, suite: &str) -> String {
        let plain = Printer::plain(Format::Text);
        let cases: Vec<Case> = self
            .compared
            .iter()
            .map(|&kind| {
                let found: Vec<_> = self.differences.iter().filter(|d| d.kind == kind).collect();
                if found.is_empty() {
                    return Case::passed(kind.name(), 0);
                }
                let mut body = format!(
                    "{} difference{} in {}\n",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" },
                    kind.name()
                );
                for d in found {
                    body.push_str(&difference(&plain, d));
                }
                Case::failed(kind.name(), 0, body)
            })
            .collect();
        junit::render(suite, &cases)
    }

    /// Markdown: `first` and `second` name the databases.
    pub fn render_markdown(&self, first: &str, second: &str) -> String {
        let plain = Printer::plain(Format::Text);
        let mut out = String::new();
        let mark = if self.is_empty() { "✅" } else { "❌" };
        let _ = writeln!(
            out,
            "### {mark} pum check: {}\n\n`{}` compared with `{}`\n",
            self.verdict(),
            markdown_code(first),
            markdown_code(second)
        );
        if self.is_empty() {
            return out;
        }
        out.push_str("| Kind | Only in first | Only in second | Changed |\n|---|---:|---:|---:|\n");
        for &kind in &self.compared {
            let (l, r, c) = self.counts(kind);
            if l + r + c > 0 {
                let _ = writeln!(out, "| {} | {l} | {r} | {c} |", kind.name());
            }
        }
        for &kind in &self.compared {
            let found: Vec<_> = self.differences.iter().filter(|d| d.kind == kind).collect();
            if found.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "\n<details><summary>{} ({})</summary>\n\n```diff",
                kind.name(),
                found.len()
            );
            for d in found {
                // A diff block colours lines by their first character.
                for line in difference(&plain, d).lines() {
                    let _ = writeln!(out, "{}", fence_safe(line.trim_start()));
                }
            }
            out.push_str("```\n\n</details>\n");
        }
        out
    }
}

/// Text for inline code: backticks would end it.
fn markdown_code(text: &str) -> String {
    text.replace('`', "'")
}

/// A line inside a fenced block: a run of three backticks would end it.
fn fence_safe(line: &str) -> String {
    line.replace("```", "`\u{200b}``")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Kind;

    fn report() -> Report {
        Report {
            differences: super::super::sample_differences(),
            same_database: false,
            compared: vec![Kind::Tables, Kind::Columns, Kind::Indexes],
        }
    }

    #[test]
    fn junit_has_a_case_per_kind_failing_with_its_differences() {
        let xml = report().render_junit("pum check");
        assert!(xml.contains("tests=\"3\" failures=\"2\""), "{xml}");
        assert!(xml.contains("name=\"indexes\" time=\"0.000\"/>"), "{xml}");
        assert!(
            xml.contains("<failure message=\"1 difference in columns\">"),
            "{xml}"
        );
        assert!(
            xml.contains("~ public.t.a: type: integer → bigint"),
            "{xml}"
        );
    }

    #[test]
    fn markdown_has_the_verdict_the_table_and_fenced_diffs() {
        let md = report().render_markdown("prod", "ref");
        assert!(md.starts_with("### ❌ pum check: 2 differences"), "{md}");
        assert!(md.contains("| tables | 1 | 0 | 0 |"), "{md}");
        assert!(md.contains("```diff\n- public.gone\n```"), "{md}");
        let ok = Report {
            differences: vec![],
            same_database: false,
            compared: vec![Kind::Tables],
        };
        assert!(ok
            .render_markdown("a", "b")
            .starts_with("### ✅ pum check: OK"));
    }
}
