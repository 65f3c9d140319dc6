//! How verify-backups is shown: a line per database as it finishes, then a
//! table (or one JSON document) and the count of each result.

use crate::output::{format_ms, Printer, Style};

use super::{DatabaseReport, Verdict};

/// The line printed as each database finishes.
pub fn progress(printer: &Printer, r: &DatabaseReport) {
    let why = match (&r.failed_step, &r.reason) {
        (Some(step), Some(reason)) => format!(" at {step}: {reason}"),
        _ => String::new(),
    };
    printer.step(format!("{}: {}{why}", r.service, label(r.result)));
}

fn label(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "PASSED",
        Verdict::Failed => "FAILED",
        Verdict::Skipped => "SKIPPED",
        Verdict::Error => "ERROR",
    }
}

/// Prints the report of every database.
pub fn print(printer: &Printer, reports: &[DatabaseReport]) {
    let count = |v: Verdict| reports.iter().filter(|r| r.result == v).count();
    if printer.is_json() {
        printer.json(&serde_json::json!({
            "databases": reports,
            "passed": count(Verdict::Passed),
            "failed": count(Verdict::Failed),
            "skipped": count(Verdict::Skipped),
            "errors": count(Verdict::Error),
        }));
        return;
    }
    let mut table = printer.table(&[
        "Service", "Database", "Result", "Step", "Reason", "Duration",
    ]);
    for r in reports {
        let style = match r.result {
            Verdict::Passed => Style::Good,
            Verdict::Skipped => Style::Dim,
            Verdict::Failed | Verdict::Error => Style::Bad,
        };
        table.add_row(vec![
            r.service.clone(),
            r.database.clone(),
            printer.paint(label(r.result), style),
            r.failed_step.unwrap_or("-").to_string(),
            r.reason.clone().unwrap_or_else(|| "-".into()),
            format_ms((r.seconds * 1000.0) as u64),
        ]);
    }
    if !printer.quiet {
        printer.out(table.to_string());
    }
    printer.out(format!(
        "{} passed, {} failed, {} skipped, {} error(s)",
        count(Verdict::Passed),
        count(Verdict::Failed),
        count(Verdict::Skipped),
        count(Verdict::Error)
    ));
}
