//! Fleets: one project applied to many databases. The project is read once
//! (once per distinct fleet-file override), then each database gets an
//! ordinary run through [`Project`] — its own connection, run lock,
//! transactions and history, exactly as `pum upgrade` — worked through by
//! [`pool`], and its outcome kept as a [`DatabaseRun`] for one report.

pub mod check;
pub mod junit;
pub mod pool;
pub mod progress;
pub mod rehearse;
pub mod select;

use std::time::Instant;

use serde::Serialize;

use crate::cli::DeltaArgs;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::project::Project;
use crate::settings::Settings;

pub use pool::Pool;
pub use select::{select, Target};

/// How one database of the fleet fared (the JSON report's `services` entries).
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseRun {
    pub service: String,
    pub ok: bool,
    /// `ok`, `failed`, or `skipped` (never started: a halt, a failed
    /// canary or a signal came first).
    pub status: &'static str,
    pub version_before: Option<String>,
    pub version_after: Option<String>,
    /// The units applied (delta files, module versions), in order.
    pub applied: Vec<String>,
    /// Pending units (`fleet info`; for `upgrade`, what was pending before).
    pub pending: usize,
    pub duration_ms: u64,
    /// The error with the server's message, when it failed.
    pub error: Option<String>,
    /// `check` and `test-and-upgrade`: how many differences from the reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub differences: Option<usize>,
    /// `check` and `test-and-upgrade`: the outcome in words (the differences
    /// per kind, the rehearsal's verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

impl DatabaseRun {
    /// A database that was never started.
    pub fn skipped(target: &Target) -> DatabaseRun {
        DatabaseRun {
            service: target.name.clone(),
            ok: false,
            status: "skipped",
            version_before: None,
            version_after: None,
            applied: Vec::new(),
            pending: 0,
            duration_ms: 0,
            error: None,
            differences: None,
            verdict: None,
        }
    }

    fn failed(target: &Target, err: &Error, started: Instant) -> DatabaseRun {
        DatabaseRun {
            status: "failed",
            error: Some(err.to_string()),
            duration_ms: started.elapsed().as_millis() as u64,
            ..DatabaseRun::skipped(target)
        }
    }
}

/// The projects the fleet needs: one per distinct override, read once, and
/// for each target the index of its project.
pub fn projects(
    ctx: &Settings,
    targets: &[Target],
    table_flag: Option<&str>,
    flags: &DeltaArgs,
) -> Result<(Vec<Project>, Vec<usize>)> {
    let mut keys: Vec<&select::Overrides> = Vec::new();
    let mut projects = Vec::new();
    let mut index = Vec::with_capacity(targets.len());
    for target in targets {
        let key = &target.overrides;
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                let mut flags = flags.clone();
                if let Some(dir) = &key.dir {
                    flags.dirs.dirs = vec![dir.clone()];
                }
                let table = key.table.as_deref().or(table_flag);
                projects.push(ctx.project(table, &flags)?);
                keys.push(key);
                projects.len() - 1
            }
        };
        index.push(i);
    }
    Ok((projects, index))
}

/// A printer for one database among many: its step lines would interleave
/// with the others', so they are left out (the fleet prints one line per
/// database instead), and what it applied is kept apart from the others'.
fn quiet(printer: &Printer, target: &Target) -> Printer {
    Printer {
        quiet: true,
        stderr_tty: false,
        applied: Default::default(),
        label: Some(target.name.clone()),
        ..printer.clone()
    }
}

/// `pum upgrade` on one database of the fleet.
pub fn upgrade(project: &Project, target: &Target, printer: &Printer) -> DatabaseRun {
    let started = Instant::now();
    let printer = quiet(printer, target);
    let mut before: Option<(Option<String>, usize)> = None;
    let result = (|| {
        let mut client = crate::db::connect(&target.params)?;
        let (version, pending) = project.state(&mut client, &target.params, &printer)?;
        before = Some((version, pending.len()));
        project.upgrade(
            &mut client,
            &target.params,
            target.service.as_deref(),
            &printer,
        )
    })();
    let (version_before, pending) = before.clone().unwrap_or_default();
    match result {
        Ok(report) => DatabaseRun {
            service: target.name.clone(),
            ok: true,
            status: "ok",
            version_before: report.version_before,
            version_after: report.version_after,
            applied: report.applied.iter().map(|a| unit_name(&a.file)).collect(),
            pending,
            duration_ms: started.elapsed().as_millis() as u64,
            error: None,
            differences: None,
            verdict: None,
        },
        Err(err) => {
            // Units applied before the failing one stay committed: say so,
            // and where the database stands now.
            let applied = printer
                .applied
                .lock()
                .map(|a| a.clone())
                .unwrap_or_default();
            let version_after = before
                .as_ref()
                .and_then(|_| current_version(project, target));
            DatabaseRun {
                version_before,
                version_after,
                pending,
                applied: applied
                    .iter()
                    .filter_map(|a| a["file"].as_str().map(unit_name))
                    .collect(),
                ..DatabaseRun::failed(target, &err, started)
            }
        }
    }
}

/// A unit as the report names it: a delta's file name without its
/// directory (several databases may share one), a module version as it is.
fn unit_name(file: &str) -> String {
    std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string())
}

/// The version a database is at, read again after a failure (best effort).
fn current_version(project: &Project, target: &Target) -> Option<String> {
    let printer = Printer::plain(crate::output::Format::Text);
    let mut client = crate::db::connect(&target.params).ok()?;
    let quiet = quiet(&printer, target);
    project
        .state(&mut client, &target.params, &quiet)
        .ok()
        .and_then(|(v, _)| v)
}

/// `pum info`'s version and pending count for one database of the fleet.
pub fn info(project: &Project, target: &Target, printer: &Printer) -> DatabaseRun {
    let started = Instant::now();
    let printer = quiet(printer, target);
    let result = crate::db::connect(&target.params)
        .and_then(|mut client| project.state(&mut client, &target.params, &printer));
    match result {
        Ok((version, pending)) => DatabaseRun {
            service: target.name.clone(),
            ok: true,
            status: "ok",
            version_before: version.clone(),
            version_after: version,
            applied: Vec::new(),
            pending: pending.len(),
            duration_ms: started.elapsed().as_millis() as u64,
            error: None,
            differences: None,
            verdict: None,
        },
        Err(err) => DatabaseRun::failed(target, &err, started),
    }
}
