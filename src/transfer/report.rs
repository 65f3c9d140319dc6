//! How a run of `pum export` / `pum import` is shown: a table per table of
//! the run and a closing line, or one JSON document.

use indicatif::HumanBytes;

use crate::output::{Printer, Style};

use super::RunReport;

/// Prints the run's report to stdout.
pub fn print(printer: &Printer, report: &RunReport) {
    if printer.is_json() {
        printer.json(&serde_json::to_value(report).expect("run reports always serialise"));
        return;
    }
    let mut table = printer.table(&["Table", "Rows", "Size", "Seconds", "File", "Status"]);
    for t in &report.tables {
        let status = if t.skipped {
            printer.paint("skipped (done earlier)", Style::Dim)
        } else if t.ok {
            printer.paint("ok", Style::Good)
        } else {
            printer.paint("FAILED", Style::Bad)
        };
        table.add_row(vec![
            t.table.clone(),
            t.rows.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
            t.bytes
                .map(|b| HumanBytes(b).to_string())
                .unwrap_or_else(|| "-".into()),
            format!("{:.2}", t.seconds),
            t.file.clone().unwrap_or_else(|| "-".into()),
            status,
        ]);
    }
    if !printer.quiet {
        printer.out(table.to_string());
    }
    for t in report.failures() {
        // The error names the table itself.
        printer.out(format!(
            "failed: {}",
            t.error.as_deref().unwrap_or(&t.table)
        ));
    }
    let failed = report.failures().count();
    let skipped = report.tables.iter().filter(|t| t.skipped).count();
    let stopped = if report.stopped {
        " (--strict: stopped at the first failure)"
    } else {
        ""
    };
    printer.out(format!(
        "{} run {}: {} table(s) done, {failed} failed, {skipped} skipped{stopped}",
        report.command,
        report.run_id,
        report.tables.len() - failed - skipped,
    ));
}
