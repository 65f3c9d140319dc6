//! `pum fleet test-and-upgrade`: each database of the fleet rehearsed on
//! its own copy (a sandbox cluster each), compared with the one reference,
//! and upgraded only when its own rehearsal passed — exactly the steps of
//! `pum test-and-upgrade`, with `--yes` or `--dry-run` since nobody can
//! answer a prompt per database.

use std::time::Instant;

use super::{quiet, unit_name, DatabaseRun, Target};
use crate::diff;
use crate::dump::guard::Protected;
use crate::dump::Tools;
use crate::output::Printer;
use crate::project::Project;
use crate::rehearsal::{self, gate::Gate, Reference, Rehearsal, Verdict};

/// What every database's rehearsal shares.
pub struct Shared {
    pub reference: Reference,
    pub check: diff::Options,
    pub tools: Tools,
    pub dry_run: bool,
    pub protected: Vec<Protected>,
    pub gate: Gate,
}

/// One database rehearsed and, when it passed, upgraded.
pub fn rehearse(
    shared: &Shared,
    project: &Project,
    target: &Target,
    printer: &Printer,
) -> DatabaseRun {
    let started = Instant::now();
    let printer = quiet(printer, target);
    let rehearsal = Rehearsal {
        prod: target.params.clone(),
        prod_name: target.service.as_deref(),
        test: None,
        test_name: None,
        reference: shared.reference.clone(),
        project: project.clone(),
        check: shared.check.clone(),
        dump_file: None,
        jobs: None,
        ignore_restore_errors: false,
        tools: shared.tools.clone(),
        dry_run: shared.dry_run,
        yes: true,
        keep_sandbox: false,
        protected: shared.protected.clone(),
        gate: shared.gate.clone(),
        copy: Default::default(),
    };
    let report = match rehearsal::run(&rehearsal, &printer) {
        Ok(report) => report,
        Err(err) => return DatabaseRun::failed(target, &err, started),
    };
    let (label, _) = rehearsal::verdict_label(&report);
    let (ok, status) = match report.verdict {
        Verdict::Upgraded | Verdict::NothingToDo | Verdict::RehearsalPassed => (true, "ok"),
        Verdict::Differences | Verdict::GateFailed => (false, "differs"),
        Verdict::RehearsalFailed | Verdict::Declined => (false, "failed"),
    };
    let applied = report
        .production_upgrade
        .as_ref()
        .map(|u| u.applied.iter().map(|a| unit_name(&a.file)).collect())
        .unwrap_or_default();
    let differences = report
        .check
        .as_ref()
        .and_then(|c| c["differences"].as_array().map(Vec::len));
    DatabaseRun {
        service: target.name.clone(),
        ok,
        status,
        version_before: report.version_before.clone(),
        version_after: report.version_after.clone(),
        applied,
        pending: report.pending.len(),
        duration_ms: started.elapsed().as_millis() as u64,
        error: (status == "failed").then(|| failure(&report, &label)),
        differences,
        verdict: Some(label),
    }
}

/// Why a rehearsal failed: its failing step and that step's error, then
/// where production stands.
fn failure(report: &rehearsal::RehearsalReport, label: &str) -> String {
    match report.phases.iter().find(|p| !p.ok) {
        Some(phase) => format!(
            "{} failed: {}; {}",
            phase.name,
            phase.error.as_deref().unwrap_or("no message"),
            report.production_sentence()
        ),
        None => label.to_string(),
    }
}
