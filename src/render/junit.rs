//! JUnit documents of single-database commands: an upgrade is a case per
//! delta (or module version); a failed one ends with the failing unit's
//! case carrying the error, after the cases of what was applied before it.

use crate::error::Error;
use crate::junit::{self, Case};
use crate::output::Printer;
use crate::runner::UpgradeReport;

/// A finished upgrade: every unit applied passed.
pub fn upgrade(report: &UpgradeReport) -> String {
    let cases: Vec<Case> = report
        .applied
        .iter()
        .map(|a| Case::passed(&a.file, a.duration_ms))
        .collect();
    junit::render("pum upgrade", &cases)
}

/// A command that failed: what it applied before (as noted by the
/// printer), then one failed case named after the failing file, or after
/// the command when no file is to blame.
pub fn error_document(printer: &Printer, err: &Error) -> String {
    let applied = printer
        .applied
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    let mut cases: Vec<Case> = applied
        .iter()
        .map(|a| {
            Case::passed(
                a["file"].as_str().unwrap_or("unit"),
                a["duration_ms"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let name = match err {
        Error::Delta(failure) => failure.file.display().to_string(),
        _ => "pum".to_string(),
    };
    cases.push(Case::failed(name, 0, err.to_string()));
    junit::render("pum", &cases)
}
