//! The table of what each applied unit did, after a measured run (the
//! rehearsal's test upgrade, `upgrade --measure`).

use crate::output::{format_ms, Printer, Style};
use crate::runner::measure::GATED_FROM;
use crate::runner::measure::{strength, Measured};
use crate::runner::UpgradeReport;

/// Bytes in the largest unit that keeps a number of at least 1.
pub fn format_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

/// Rows changed in all tables, and temporary bytes written: `-` where the
/// statistics could not tell.
pub fn rows_and_temp(measured: Option<&Measured>) -> (String, String) {
    match measured.and_then(|m| m.stats.as_ref()) {
        Some(s) => (
            s.rows
                .iter()
                .map(|r| r.inserted + r.updated + r.deleted)
                .sum::<i64>()
                .to_string(),
            format_bytes(s.temp_bytes),
        ),
        None => ("-".into(), "-".into()),
    }
}

/// One row per measured unit: time, the strongest lock on a relation that
/// existed before (what production's sessions would wait behind), whether
/// storage was rewritten, WAL written. `None` when nothing was measured.
pub fn table(report: &UpgradeReport, printer: &Printer) -> Option<String> {
    if !report.applied.iter().any(|u| u.measured.is_some()) {
        return None;
    }
    let mut t = printer.table(&[
        "Delta",
        "Time",
        "Strongest lock",
        "Held",
        "Rewrite",
        "WAL",
        "Rows",
        "Temp",
    ]);
    for unit in &report.applied {
        let Some(m) = &unit.measured else { continue };
        let name = unit.file.rsplit('/').next().unwrap_or(&unit.file);
        let (lock, held) = match m.strongest_lock() {
            Some(l) => {
                let text = format!("{} on {}", l.mode, l.relation);
                let text = match strength(&l.mode) >= strength(GATED_FROM) {
                    true => printer.paint(&text, Style::Changed),
                    false => text,
                };
                (text, format_ms(l.held_ms))
            }
            None => ("-".to_string(), "-".to_string()),
        };
        let rewrite = match m.rewrites.is_empty() {
            true => "no".to_string(),
            false => printer.paint(&format!("yes: {}", m.rewrites.join(", ")), Style::Changed),
        };
        let (rows, temp) = rows_and_temp(Some(m));
        t.add_row(vec![
            name.to_string(),
            format_ms(unit.duration_ms),
            lock,
            held,
            rewrite,
            format_bytes(m.wal_bytes),
            rows,
            temp,
        ]);
    }
    let mut out = t.to_string();
    for unit in &report.applied {
        let Some(statements) = &unit.statements else {
            continue;
        };
        let name = unit.file.rsplit('/').next().unwrap_or(&unit.file);
        let mut s = printer.table(&["Line", "Time", "WAL", "Statement"]);
        for st in statements {
            s.add_row(vec![
                st.line.to_string(),
                format_ms(st.duration_ms),
                format_bytes(st.wal_bytes),
                st.sql.clone(),
            ]);
        }
        out.push_str(&format!("\n{name}, statement by statement:\n{s}"));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_shown_in_a_readable_unit() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(2048), "2.0 kB");
        assert_eq!(format_bytes(5 * 1024 * 1024 + 1024 * 512), "5.5 MB");
    }
}
