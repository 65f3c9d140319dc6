//! A rehearsal's report for CI: JUnit (a case per step, per delta of the
//! test upgrade, and the verdict) and Markdown for a pull-request comment
//! (verdict, steps, the per-delta measurements, the differences).

use std::fmt::Write;

use super::report::{verdict_label, RehearsalReport};
use crate::junit::{self, Case};
use crate::output::format_ms;
use crate::render::measure::format_bytes;

/// JUnit: the steps, the test upgrade's deltas, then the verdict.
pub fn junit(report: &RehearsalReport) -> String {
    let mut cases: Vec<Case> = report
        .phases
        .iter()
        .map(|p| match (&p.error, p.ok) {
            (_, true) => Case::passed(format!("step: {}", p.name), p.duration_ms),
            (error, false) => Case::failed(
                format!("step: {}", p.name),
                p.duration_ms,
                error.as_deref().unwrap_or("failed"),
            ),
        })
        .collect();
    if let Some(upgrade) = &report.test_upgrade {
        for unit in &upgrade.applied {
            cases.push(Case::passed(
                format!("delta: {}", unit.file),
                unit.duration_ms,
            ));
        }
    }
    let (label, _) = verdict_label(report);
    cases.push(match report.exit_is_failure() {
        true => {
            let mut body = label;
            if let Some(text) = &report.differences_text {
                body.push('\n');
                body.push_str(&console::strip_ansi_codes(text));
            }
            Case::failed("verdict", 0, body)
        }
        false => Case::passed("verdict", 0),
    });
    junit::render("pum test-and-upgrade", &cases)
}

/// Markdown for a pull-request comment.
pub fn markdown(report: &RehearsalReport) -> String {
    let (label, _) = verdict_label(report);
    let mark = if report.exit_is_failure() {
        "❌"
    } else {
        "✅"
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {mark} pum test-and-upgrade: {label}\n\nproduction `{}` {} → {}, rehearsed on `{}` against `{}`\n",
        report.production.replace('`', "'"),
        report.version_before.as_deref().unwrap_or("(none)"),
        report.version_after.as_deref().unwrap_or("(none)"),
        report.test.replace('`', "'"),
        report.reference.replace('`', "'"),
    );
    out.push_str("| Step | Time | Result |\n|---|---:|---|\n");
    for p in &report.phases {
        let result = match (&p.error, p.ok) {
            (_, true) => "ok".to_string(),
            (e, false) => format!("failed: {}", one_line(e.as_deref().unwrap_or(""))),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {result} |",
            p.name,
            format_ms(p.duration_ms)
        );
    }
    measured_table(&mut out, report);
    if let Some(ms) = report.copy_ms {
        let _ = writeln!(out, "\n> {}", super::report::copy_line(report.copy, ms));
    }
    if let Some(ms) = report.recovery_ms {
        let _ = writeln!(
            out,
            "\n> way back: restoring the kept production dump took {} (measured on the test server)",
            format_ms(ms)
        );
    }
    for f in &report.gate_failures {
        let _ = writeln!(out, "\n> gate: {}", one_line(&f.message()));
    }
    if let Some(text) = &report.differences_text {
        out.push_str("\n<details><summary>differences from the reference</summary>\n\n```\n");
        out.push_str(&console::strip_ansi_codes(text).replace("```", "`\u{200b}``"));
        out.push_str("\n```\n\n</details>\n");
    }
    out
}

/// The test upgrade's deltas, one row each with what was measured of it.
fn measured_table(out: &mut String, report: &RehearsalReport) {
    if let Some(upgrade) = report
        .test_upgrade
        .as_ref()
        .filter(|u| !u.applied.is_empty())
    {
        out.push_str("\n| Delta | Time | Strongest lock | Held | Rewrite | WAL | Rows | Temp |\n|---|---:|---|---:|---|---:|---:|---:|\n");
        for unit in &upgrade.applied {
            let name = unit.file.rsplit('/').next().unwrap_or(&unit.file);
            let (rows, temp) = crate::render::measure::rows_and_temp(unit.measured.as_ref());
            let (lock, held, rewrite, wal) = match &unit.measured {
                Some(m) => {
                    let (lock, held) = m.strongest_lock().map_or(("-".into(), "-".into()), |l| {
                        (
                            format!("{} on {}", l.mode, l.relation),
                            format_ms(l.held_ms),
                        )
                    });
                    let rewrite = match m.rewrites.is_empty() {
                        true => "no".to_string(),
                        false => format!("yes: {}", m.rewrites.join(", ")),
                    };
                    (lock, held, rewrite, format_bytes(m.wal_bytes))
                }
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {held} | {rewrite} | {wal} | {rows} | {temp} |",
                one_line(name),
                format_ms(unit.duration_ms),
                one_line(&lock)
            );
        }
    }
}

/// Text for a table cell: one line, no column separators.
fn one_line(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}
