//! What a rehearsal reports: its phases, its verdict and what was found on
//! production afterwards, as text for a terminal and as the JSON document
//! of `--format json` and `--report`.

use serde::Serialize;
use serde_json::json;

use crate::output::format_ms;
use crate::output::{Printer, Style};
use crate::runner::UpgradeReport;

/// One step of the run and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub duration_ms: u64,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Rehearsal passed and production was upgraded.
    Upgraded,
    /// Rehearsal passed; production already had every delta.
    NothingToDo,
    /// Rehearsal passed; stopped before production (--dry-run).
    RehearsalPassed,
    /// Rehearsal passed; the person said no.
    Declined,
    /// The upgraded test database differs from the reference.
    Differences,
    /// A step of the rehearsal failed.
    RehearsalFailed,
    /// The test upgrade held a lock, or ran a delta, longer than allowed
    /// (`--max-lock`, `--max-delta-duration`).
    GateFailed,
}

/// Production as re-read when the run ended without upgrading it: the
/// only ground for saying it was not touched.
#[derive(Debug, Clone, Serialize)]
pub struct ProductionCheck {
    /// The version found at the end (None: no version recorded, or unread).
    pub version: Option<String>,
    pub version_unchanged: bool,
    /// Same relations (OIDs, names, columns) as before the rehearsal.
    pub schema_unchanged: bool,
    /// Same storage files too (nothing rewritten or truncated).
    pub storage_unchanged: bool,
    /// Why production could not be re-read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ProductionCheck {
    pub fn unchanged(&self) -> bool {
        self.error.is_none()
            && self.version_unchanged
            && self.schema_unchanged
            && self.storage_unchanged
    }

    /// The sentence every message about production's state uses.
    pub fn sentence(&self) -> String {
        let version = self.version.as_deref().unwrap_or("(none)");
        if let Some(e) = &self.error {
            return format!(
                "production could not be re-read afterwards, its state is not verified: {e}"
            );
        }
        if self.unchanged() {
            return format!(
                "production not touched (re-read: still at version {version}, schema and storage unchanged)"
            );
        }
        let mut what = Vec::new();
        if !self.version_unchanged {
            what.push(format!("its version is now {version}"));
        }
        if !self.schema_unchanged {
            what.push("relations were created, dropped or altered".to_string());
        } else if !self.storage_unchanged {
            what.push("relations were rewritten or truncated".to_string());
        }
        format!(
            "production CHANGED while pum was running ({}); pum did not upgrade it, find out what did",
            what.join("; ")
        )
    }
}

/// Everything that happened, for people and for pipelines.
#[derive(Debug, Clone, Serialize)]
pub struct RehearsalReport {
    pub production: String,
    pub test: String,
    pub reference: String,
    /// The role the test deltas ran as (production's own).
    pub rehearsed_as: Option<String>,
    pub version_before: Option<String>,
    pub version_after: Option<String>,
    pub pending: Vec<String>,
    pub phases: Vec<Phase>,
    pub test_upgrade: Option<UpgradeReport>,
    pub check: Option<serde_json::Value>,
    pub production_upgrade: Option<UpgradeReport>,
    pub verdict: Verdict,
    pub production_touched: bool,
    /// Production re-read at the end of a run that did not upgrade it.
    pub production_check: Option<ProductionCheck>,
    /// The limits of `--max-lock` / `--max-delta-duration` the test upgrade went past.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gate_failures: Vec<super::gate::GateFailure>,
    /// The way back, when the production dump was kept (`-f`): how long
    /// restoring that very dump took, measured in the rehearsal's restore
    /// step (on the test server, not on production's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_dump: Option<String>,
    /// How production was copied, and how long the copy took (a logical
    /// copy's dump, sandbox and restore; a physical copy's checks, base
    /// backup and private server start).
    pub copy: crate::config::CopyMethod,
    pub copy_ms: Option<u64>,
    #[serde(skip)]
    pub differences_text: Option<String>,
}

impl RehearsalReport {
    pub fn exit_is_failure(&self) -> bool {
        matches!(
            self.verdict,
            Verdict::Differences | Verdict::RehearsalFailed | Verdict::GateFailed
        )
    }

    /// What is known of production's state, in words.
    pub fn production_sentence(&self) -> String {
        match &self.production_check {
            Some(check) => check.sentence(),
            None if self.production_touched => "production upgraded".into(),
            None => "production was not re-read".into(),
        }
    }
}

/// The human summary printed at the end.
pub fn render_text(report: &RehearsalReport, printer: &Printer) -> String {
    let mut out = String::new();
    if let Some(diff) = &report.differences_text {
        out.push_str(diff);
        out.push('\n');
    }
    let verified = report
        .production_check
        .as_ref()
        .is_some_and(ProductionCheck::unchanged);
    let (label, style) = verdict_label(report);
    let style = if verified || report.verdict == Verdict::Upgraded {
        style
    } else {
        Style::Bad
    };
    out.push_str(&printer.paint(&label, style));
    out.push('\n');
    out.push_str(&format!(
        "production {}: {} → {} ({} pending delta{})",
        report.production,
        report.version_before.as_deref().unwrap_or("(none)"),
        report.version_after.as_deref().unwrap_or("(none)"),
        report.pending.len(),
        if report.pending.len() == 1 { "" } else { "s" },
    ));
    if let Some(role) = &report.rehearsed_as {
        out.push_str(&format!("\nrehearsed as role {role} (production's own)"));
    }
    if let Some(ms) = report.copy_ms {
        out.push_str(&format!("\n{}", copy_line(report.copy, ms)));
    }
    if let (Some(ms), Some(dump)) = (report.recovery_ms, &report.recovery_dump) {
        out.push_str(&format!(
            "\nway back: restoring the kept dump {dump} took {} (measured on the test server)",
            format_ms(ms)
        ));
    }
    let mut t = printer.table(&["Phase", "Result", "Time"]);
    for p in &report.phases {
        t.add_row(vec![
            p.name.to_string(),
            if p.ok {
                "ok".into()
            } else {
                printer.paint("failed", Style::Bad)
            },
            format_ms(p.duration_ms),
        ]);
    }
    out.push('\n');
    out.push_str(&t.to_string());
    if let Some(measured) = report
        .test_upgrade
        .as_ref()
        .and_then(|u| crate::render::measure::table(u, printer))
    {
        out.push('\n');
        out.push_str(&measured);
    }
    out
}

/// Which copy the rehearsal ran on and how long making it took.
pub fn copy_line(copy: crate::config::CopyMethod, ms: u64) -> String {
    let how = match copy {
        crate::config::CopyMethod::Logical => "logical (pg_dump | pg_restore)",
        crate::config::CopyMethod::Physical => "physical (pg_basebackup, private server)",
    };
    format!("copy: {how} in {}", format_ms(ms))
}

/// The JSON document (`--format json`, `--report FILE`).
pub fn to_json(report: &RehearsalReport) -> serde_json::Value {
    let mut v = serde_json::to_value(report).expect("report serialises");
    if let Some(obj) = v.as_object_mut() {
        obj.insert("schema".into(), json!("pum.test-and-upgrade/1"));
    }
    v
}

/// The verdict in words, with where production stands, and its style.
pub fn verdict_label(report: &RehearsalReport) -> (String, Style) {
    let state = report.production_sentence();
    match report.verdict {
        Verdict::Upgraded => ("production upgraded".to_string(), Style::Good),
        Verdict::NothingToDo => (
            "rehearsal passed; production has nothing pending".to_string(),
            Style::Good,
        ),
        Verdict::RehearsalPassed => (format!("rehearsal passed (dry run); {state}"), Style::Good),
        Verdict::Declined => (format!("declined; {state}"), Style::Changed),
        Verdict::Differences => (
            format!("rehearsal FAILED: the upgraded copy differs from the reference; {state}"),
            Style::Bad,
        ),
        Verdict::RehearsalFailed => (format!("rehearsal FAILED; {state}"), Style::Bad),
        Verdict::GateFailed => (
            format!(
                "rehearsal FAILED the gate: {}; {state}",
                report
                    .gate_failures
                    .iter()
                    .map(|f| f.message())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Style::Bad,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(version_unchanged: bool, schema: bool, storage: bool) -> ProductionCheck {
        ProductionCheck {
            version: Some("1.0.0".into()),
            version_unchanged,
            schema_unchanged: schema,
            storage_unchanged: storage,
            error: None,
        }
    }

    #[test]
    fn only_a_verified_production_is_called_untouched() {
        assert!(check(true, true, true)
            .sentence()
            .starts_with("production not touched"));
        assert!(check(true, true, false)
            .sentence()
            .contains("rewritten or truncated"));
        assert!(check(false, false, false).sentence().contains("CHANGED"));
        let unread = ProductionCheck {
            error: Some("connection refused".into()),
            ..check(true, true, true)
        };
        assert!(unread.sentence().contains("not verified"));
        assert!(!unread.sentence().contains("not touched"));
    }
}
