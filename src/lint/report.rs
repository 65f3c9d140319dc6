//! The findings as text (one `file:line:col: RULE: message` line each,
//! then a count), as one JSON document, and as JUnit (a failed case per
//! finding, a passed case per clean file).

use serde_json::json;

use super::{Finding, Outcome};
use crate::junit::{self, Case};

/// `file:line:col: RULE: message`.
pub fn text_line(f: &Finding) -> String {
    format!(
        "{}:{}:{}: {}: {}",
        f.file.display(),
        f.line,
        f.column,
        f.rule.id,
        f.message
    )
}

/// Every finding, one per line, then the count.
pub fn text(out: &Outcome) -> String {
    let mut lines: Vec<String> = out.findings.iter().map(text_line).collect();
    let files = plural(out.files.len(), "file");
    lines.push(match out.findings.len() {
        0 => format!("no findings in {files}"),
        n => format!("{} in {files}", plural(n, "finding")),
    });
    lines.join("\n")
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `{files, count, findings: [{rule, file, line, column, message}]}`.
pub fn json(out: &Outcome) -> serde_json::Value {
    json!({
        "files": out.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "count": out.findings.len(),
        "findings": out.findings.iter().map(|f| json!({
            "rule": f.rule.id,
            "file": f.file.display().to_string(),
            "line": f.line,
            "column": f.column,
            "message": f.message,
        })).collect::<Vec<_>>(),
    })
}

/// JUnit: one failed case per finding, one passed case per clean file.
pub fn junit(out: &Outcome) -> String {
    let mut cases = Vec::new();
    for file in &out.files {
        let hits: Vec<&Finding> = out.findings.iter().filter(|f| &f.file == file).collect();
        if hits.is_empty() {
            cases.push(Case::passed(format!("{}", file.display()), 0));
        }
        for f in hits {
            cases.push(Case::failed(
                format!("{} {}:{}:{}", f.rule.id, f.file.display(), f.line, f.column),
                0,
                format!("{}\n{}", f.message, text_line(f)),
            ));
        }
    }
    junit::render("pum lint", &cases)
}
