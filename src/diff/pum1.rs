//! The JSON report in pum 1.x's shape (`check -f json`): its top-level and
//! per-check field names, one check result per compared kind, and each
//! difference as a row `removed` from the first database or `added` in the
//! second. pum 1.x compares rows, so a changed field is one removed and one
//! added item, as pum 1.x reports a changed row. pum's own JSON (global
//! `--format json`) keeps one item per difference.

use serde::Serialize;

use super::{Report, Side};
use crate::catalog::Kind;

#[derive(Serialize)]
struct Pum1Report<'a> {
    pg_connection1: &'a str,
    pg_connection2: &'a str,
    timestamp: String,
    passed: bool,
    total_checks: usize,
    passed_checks: usize,
    failed_checks: usize,
    total_differences: usize,
    check_results: Vec<CheckResult<'a>>,
}

#[derive(Serialize)]
struct CheckResult<'a> {
    name: String,
    key: &'static str,
    passed: bool,
    difference_count: usize,
    differences: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Item<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    content: Content<'a>,
}

#[derive(Serialize)]
struct Content<'a> {
    object: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

impl Report {
    /// The pum 1.x JSON report, pretty-printed. `first`/`second` name the
    /// databases (never with a password: see `commands::check`).
    pub fn to_pum1_json_string(&self, first: &str, second: &str) -> String {
        let check_results: Vec<CheckResult<'_>> = self
            .compared
            .iter()
            .map(|&kind| {
                let mut differences = Vec::new();
                for d in self.differences.iter().filter(|d| d.kind == kind) {
                    let row = |kind, value| Item {
                        kind,
                        content: Content {
                            object: &d.object,
                            field: d.field.as_deref(),
                            value,
                        },
                    };
                    match d.side {
                        Side::Left => differences.push(row("removed", None)),
                        Side::Right => differences.push(row("added", None)),
                        Side::Both => {
                            differences.push(row("removed", d.left.as_deref()));
                            differences.push(row("added", d.right.as_deref()));
                        }
                    }
                }
                CheckResult {
                    name: title(kind),
                    key: kind.name(),
                    passed: differences.is_empty(),
                    difference_count: differences.len(),
                    differences,
                }
            })
            .collect();
        let passed_checks = check_results.iter().filter(|c| c.passed).count();
        let report = Pum1Report {
            pg_connection1: first,
            pg_connection2: second,
            timestamp: crate::clock::Utc::now().iso_seconds(),
            passed: self.is_empty(),
            total_checks: check_results.len(),
            passed_checks,
            failed_checks: check_results.len() - passed_checks,
            total_differences: check_results.iter().map(|c| c.difference_count).sum(),
            check_results,
        };
        serde_json::to_string_pretty(&report).expect("JSON values always serialise")
    }
}

/// `materialized_views` → `Materialized views`, as pum 1.x names its checks.
pub(super) fn title(kind: Kind) -> String {
    let words = kind.name().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}
