//! test-and-upgrade: identify production, the test database and the
//! reference by asking their servers (and refuse any overlap), copy
//! production into the test database (a throw-away sandbox cluster unless one
//! is named) with its owners, grants and roles, apply the deltas there as
//! production's own role with the same runner, compare the result with the
//! reference, and only then, after confirmation, upgrade production.
//! Production is read by the copy and written only by the last step; a run
//! that ends without upgrading it re-reads it before saying it is untouched.

pub mod ci;
pub mod gate;
mod interrupted;
pub mod lock_limits;
mod logical;
mod phases;
mod physical;
mod physical_checks;
mod reference;
mod report;
mod sandbox;
mod targets;

use std::path::PathBuf;
use std::time::Instant;

use crate::config::CopyMethod;
use crate::db;
use crate::diff;
use crate::dump::guard::Protected;
use crate::dump::Tools;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::project::Project;
use crate::sandbox::Cluster;
use crate::service::ConnParams;

use interrupted::Reached;
use phases::Phases;
pub use reference::Reference;
pub use report::{
    render_text, to_json, verdict_label, Phase, ProductionCheck, RehearsalReport, Verdict,
};
use targets::{recheck_production, Before, ProdFacts, Targets};

/// What to rehearse and how.
pub struct Rehearsal<'a> {
    pub prod: ConnParams,
    /// What the user called production (a service name is handed to hooks).
    pub prod_name: Option<&'a str>,
    /// The test database; `None` means a sandbox cluster.
    pub test: Option<ConnParams>,
    pub test_name: Option<&'a str>,
    pub reference: Reference,
    pub project: Project,
    pub check: diff::Options,
    /// Keep the production dump here (else a private temporary file).
    pub dump_file: Option<PathBuf>,
    /// Parallel pg_dump/pg_restore jobs (directory format).
    pub jobs: Option<u32>,
    /// pum 0.x's -x: go past pg_restore errors.
    pub ignore_restore_errors: bool,
    pub tools: Tools,
    /// Stop after the comparison (CI pre-deploy mode).
    pub dry_run: bool,
    /// Skip the confirmation (pipelines).
    pub yes: bool,
    pub keep_sandbox: bool,
    /// Databases no test copy may overwrite besides production and the
    /// reference (services marked `allow_restore: false`).
    pub protected: Vec<Protected>,
    /// Limits on the measured locks and durations of the test upgrade.
    pub gate: gate::Gate,
    /// How production is copied.
    pub copy: CopyMethod,
}

/// Runs the whole rehearsal and, when it passes and is confirmed, the
/// production upgrade. A signal stops it wherever it is; everything
/// temporary is removed on the way out and the error says where each
/// database stands.
pub fn run(r: &Rehearsal<'_>, printer: &Printer) -> Result<RehearsalReport> {
    let mut reached = Reached::default();
    let mut before = None;
    run_steps(r, printer, &mut reached, &mut before).map_err(|e| {
        match crate::interrupt::mark(e, "test-and-upgrade") {
            Error::Interrupted {
                signal,
                during,
                state,
            } => {
                let found = match (&before, reached.production_started) {
                    (Some(b), false) => Some(recheck_production(r, b).sentence()),
                    _ => None,
                };
                Error::Interrupted {
                    signal,
                    during,
                    state: reached.describe(r, state, found),
                }
            }
            other => other,
        }
    })
}

/// Step 1: production identified, with the other databases, and read as it
/// is before anything runs.
fn read_production(r: &Rehearsal<'_>, printer: &Printer) -> Result<(Targets, Before)> {
    let mut prod_client = db::connect(&r.prod)?;
    let targets = targets::identify(r, &mut prod_client)?;
    let (version, pending) = r.project.state(&mut prod_client, &r.prod, printer)?;
    crate::lint::warn_pending(&r.project, &pending, printer);
    let facts = ProdFacts::read(&mut prod_client)?;
    Ok((
        targets,
        Before {
            version,
            pending,
            facts,
        },
    ))
}

fn run_steps(
    r: &Rehearsal<'_>,
    printer: &Printer,
    reached: &mut Reached,
    before_slot: &mut Option<Before>,
) -> Result<RehearsalReport> {
    // 1. Which databases these are, before anything is copied or dropped.
    let (targets, read) = read_production(r, printer)?;
    reached.version_before = Some(read.version.clone());
    let before = &*before_slot.insert(read);
    let mut report = new_report(r, before);
    let mut phases = Phases {
        list: Vec::new(),
        printer,
    };
    // 2. A physical copy is refused (exit 2) before anything is copied
    // when production does not allow it; a logical one is copied below.
    let private = physical::copy(r, before, reached, &mut phases, &mut report, printer)?;
    // 2–4. Copy, rehearse, compare.
    let outcome = copy_and_rehearse(
        r,
        &targets,
        before,
        private,
        reached,
        &mut phases,
        &mut report,
        printer,
    )
    // A failure between steps after a signal is the interruption too.
    .map_err(|e| crate::interrupt::mark(e, "rehearsal"));
    let finish = |mut report: RehearsalReport, phases: Phases<'_>, verdict| {
        report.verdict = verdict;
        report.phases = phases.list;
        report.production_check = Some(recheck_production(r, before));
        report
    };
    if let Err(e @ Error::Interrupted { .. }) = outcome {
        return Err(e);
    }
    if let Err(e) = outcome {
        let report = finish(report, phases, Verdict::RehearsalFailed);
        printer.warn(format!(
            "rehearsal failed: {e}\n{}",
            report.production_sentence()
        ));
        return Ok(report);
    }
    if !report.gate_failures.is_empty() {
        for f in &report.gate_failures {
            printer.warn(format!("rehearsal gate: {}", f.message()));
        }
        return Ok(finish(report, phases, Verdict::GateFailed));
    }
    if report.verdict == Verdict::Differences {
        return Ok(finish(report, phases, Verdict::Differences));
    }
    if report.pending.is_empty() {
        return Ok(finish(report, phases, Verdict::NothingToDo));
    }
    if r.dry_run {
        return Ok(finish(report, phases, Verdict::RehearsalPassed));
    }
    // 5. A person (or --yes) confirms.
    match confirm(r, &report) {
        Ok(true) => {}
        Ok(false) => return Ok(finish(report, phases, Verdict::Declined)),
        Err(e) => {
            let check = recheck_production(r, before);
            return Err(match e {
                Error::Refused(m) => Error::Refused(format!("{m}; {}", check.sentence())),
                other => other,
            });
        }
    }
    // 6–7. Upgrade production, unless it changed since it was copied.
    apply_to_production(r, before, reached, phases, report, printer)
}

fn new_report(r: &Rehearsal<'_>, before: &Before) -> RehearsalReport {
    let describe = |p: &ConnParams| format!("{} ({})", p.origin(), p.target());
    RehearsalReport {
        production: describe(&r.prod),
        test: r
            .test
            .as_ref()
            .map(describe)
            .unwrap_or_else(|| match r.copy {
                CopyMethod::Logical => "sandbox cluster".into(),
                CopyMethod::Physical => {
                    "private server on a physical copy of production's cluster".into()
                }
            }),
        reference: match &r.reference {
            Reference::Database(p) => describe(p),
            Reference::Scripts(files) => format!("{} script(s) run in the sandbox", files.len()),
        },
        rehearsed_as: None,
        version_before: before.version.clone(),
        version_after: before.version.clone(),
        pending: before.pending.clone(),
        phases: Vec::new(),
        test_upgrade: None,
        check: None,
        production_upgrade: None,
        verdict: Verdict::RehearsalFailed,
        production_touched: false,
        production_check: None,
        gate_failures: Vec::new(),
        recovery_ms: None,
        recovery_dump: None,
        copy: r.copy,
        copy_ms: None,
        differences_text: None,
    }
}

/// The test database once production is in it: as the superuser of its
/// server (to compare it) and as the role the deltas run as.
pub(crate) struct Copied {
    pub test: ConnParams,
    pub rehearse_as: ConnParams,
}

/// Steps 2–4: obtain the copy (or take the private server already started
/// on a physical one), upgrade it as production's role, compare it with the
/// reference.
#[allow(clippy::too_many_arguments)]
fn copy_and_rehearse(
    r: &Rehearsal<'_>,
    targets: &Targets,
    before: &Before,
    private: Option<Cluster>,
    reached: &mut Reached,
    phases: &mut Phases<'_>,
    report: &mut RehearsalReport,
    printer: &Printer,
) -> Result<()> {
    let temp = tempfile::Builder::new()
        .prefix("pum-rehearsal-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut cluster = private;
    let result = (|| {
        let copied = match &cluster {
            Some(private) => physical::test_database(r, targets, before, private)?,
            None => {
                let t0 = Instant::now();
                let copied = logical::copy(
                    r,
                    targets,
                    before,
                    &temp,
                    &mut cluster,
                    reached,
                    phases,
                    report,
                    printer,
                )?;
                report.copy_ms = Some(t0.elapsed().as_millis() as u64);
                copied
            }
        };
        rehearse_in(
            r,
            before,
            &copied,
            cluster.as_ref(),
            phases,
            report,
            printer,
        )
    })()
    .map_err(|e| crate::interrupt::mark(e, "rehearsal"));
    let interrupted = matches!(result, Err(Error::Interrupted { .. }));
    // An interrupted rehearsal leaves nothing behind, kept or not.
    if let (Some(cluster), true) = (cluster.as_mut(), r.keep_sandbox && !interrupted) {
        cluster.keep();
        let dbname = match r.copy {
            CopyMethod::Logical => sandbox::TEST_DB,
            // The private server holds production's database under its name.
            CopyMethod::Physical => r.prod.dbname(),
        };
        printer.step(cluster.kept_instructions(dbname));
    }
    result
}

/// Steps 3–4, the same whichever way production was copied: upgrade the
/// copy as production's role, measured, then compare it with the reference.
fn rehearse_in(
    r: &Rehearsal<'_>,
    before: &Before,
    copied: &Copied,
    sandbox: Option<&Cluster>,
    phases: &mut Phases<'_>,
    report: &mut RehearsalReport,
    printer: &Printer,
) -> Result<()> {
    let Copied { test, rehearse_as } = copied;
    report.rehearsed_as = Some(rehearse_as.user().to_string());
    let mut test_client = db::connect(rehearse_as)?;
    // Measured: what each unit locks and rewrites is the rehearsal's finding.
    let upgraded = phases.run("upgrade test database", || {
        r.project
            .measured()
            .upgrade(&mut test_client, rehearse_as, r.test_name, printer)
    })?;
    report.gate_failures = gate::check(&upgraded, &r.gate);
    report.test_upgrade = Some(upgraded);
    drop(test_client);
    let reference = match (&r.reference, sandbox) {
        (Reference::Database(p), _) => p.clone(),
        (Reference::Scripts(files), Some(cluster)) => phases
            .run("build reference from scripts", || {
                sandbox::build_reference(r, cluster, &before.facts, files, printer)
            })?,
        (Reference::Scripts(_), None) => unreachable!("a sandbox is started for reference scripts"),
    };
    let result = phases.run("compare with reference", || {
        diff::check(test, &reference, &r.check)
    })?;
    report.check = Some(result.to_json());
    if !result.is_empty() {
        report.verdict = Verdict::Differences;
        report.differences_text = Some(result.render_text(printer, false));
    }
    Ok(())
}

/// Asks (unless --yes) whether to apply the rehearsed deltas to production.
fn confirm(r: &Rehearsal<'_>, report: &RehearsalReport) -> Result<bool> {
    if r.yes {
        return Ok(true);
    }
    let target_version = report
        .test_upgrade
        .as_ref()
        .and_then(|u| u.version_after.clone())
        .unwrap_or_default();
    let question = format!(
        "Apply {} {} ({} → {}) to production {} ({})?",
        report.pending.len(),
        r.project.units(report.pending.len()),
        report.version_before.as_deref().unwrap_or("(none)"),
        target_version,
        r.prod_name.unwrap_or(r.prod.origin()),
        r.prod.target()
    );
    crate::prompt::confirm(&question)
}

/// Steps 6–7: someone else may have changed production since it was copied;
/// if not, upgrade it with the same runner.
fn apply_to_production(
    r: &Rehearsal<'_>,
    before: &Before,
    reached: &mut Reached,
    mut phases: Phases<'_>,
    mut report: RehearsalReport,
    printer: &Printer,
) -> Result<RehearsalReport> {
    let mut prod_client = db::connect(&r.prod)?;
    let (now_version, now_pending) = r.project.state(&mut prod_client, &r.prod, printer)?;
    let now = db::fingerprint::read(&mut prod_client)?;
    if now_version != before.version || now_pending != report.pending {
        return Err(Error::State(format!(
            "production changed since it was dumped (version {} then, {} now); the rehearsal no longer \
             applies, production was not upgraded: run test-and-upgrade again",
            before.version.as_deref().unwrap_or("(none)"),
            now_version.as_deref().unwrap_or("(none)")
        )));
    }
    if now.structure != before.facts.fingerprint.structure {
        return Err(Error::State(
            "production's schema changed since it was dumped (relations created, dropped or altered); \
             the rehearsal no longer applies, production was not upgraded: run test-and-upgrade again"
                .into(),
        ));
    }
    report.production_touched = true;
    let prod_report = phases.run("upgrade production", || {
        reached.production_started = true;
        r.project
            .upgrade(&mut prod_client, &r.prod, r.prod_name, printer)
    });
    report.phases = phases.list;
    let prod_report = prod_report?;
    report.version_after = prod_report.version_after.clone();
    report.production_upgrade = Some(prod_report);
    report.verdict = Verdict::Upgraded;
    Ok(report)
}
