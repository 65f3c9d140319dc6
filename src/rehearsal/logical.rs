//! The logical copy (`--copy logical`, the default): production dumped by
//! pg_dump — to a file when one is kept or jobs run in parallel, else
//! streamed — and restored by pg_restore into the test database, a named
//! one (-pt) or one in a sandbox cluster given production's roles.

use std::path::PathBuf;

use crate::db;
use crate::dump::{self, DumpFormat, DumpOptions, RestoreMode, RestoreOptions};
use crate::error::Result;
use crate::output::Printer;
use crate::sandbox::Cluster;
use crate::service::ConnParams;

use super::interrupted::Reached;
use super::phases::{timed, Phases};
use super::sandbox;
use super::targets::{Before, Targets};
use super::{Copied, Reference, Rehearsal, RehearsalReport};

/// Copies production into the test database; a sandbox started for it is
/// put in `slot`, where it lives (and is removed) with the rehearsal.
#[allow(clippy::too_many_arguments)]
pub(super) fn copy(
    r: &Rehearsal<'_>,
    targets: &Targets,
    before: &Before,
    temp: &tempfile::TempDir,
    slot: &mut Option<Cluster>,
    reached: &mut Reached,
    phases: &mut Phases<'_>,
    report: &mut RehearsalReport,
    printer: &Printer,
) -> Result<Copied> {
    let needs_sandbox = r.test.is_none() || matches!(r.reference, Reference::Scripts(_));
    let (dump_path, cluster) =
        dump_production(r, before, needs_sandbox, temp, reached, phases, printer)?;
    if let Some(cluster) = &cluster {
        reached.sandbox_dir = Some(cluster.socket_dir().to_path_buf());
    }
    *slot = cluster;
    reached.test_written = r.test.is_some();
    restore(
        r,
        targets,
        before,
        dump_path.as_deref(),
        slot.as_ref(),
        phases,
        report,
        printer,
    )
}

/// Step 2a: dump production to a file when one is wanted (a kept dump, or a
/// directory archive for parallel jobs), while the sandbox starts; a stream
/// needs no dump. Returns the dump and the sandbox.
fn dump_production(
    r: &Rehearsal<'_>,
    before: &Before,
    needs_sandbox: bool,
    temp: &tempfile::TempDir,
    reached: &mut Reached,
    phases: &mut Phases<'_>,
    printer: &Printer,
) -> Result<(Option<PathBuf>, Option<Cluster>)> {
    let major = before.facts.major;
    let start = || sandbox::start(major, r.keep_sandbox, r.tools.pg_bindir.as_deref());
    if r.dump_file.is_none() && r.jobs.is_none() {
        let cluster = match needs_sandbox {
            true => Some(phases.run("start sandbox cluster", || {
                reached.sandbox_started = true;
                start()
            })?),
            false => None,
        };
        return Ok((None, cluster));
    }
    let path = r
        .dump_file
        .clone()
        .unwrap_or_else(|| temp.path().join("production.dump"));
    let dump_opts = DumpOptions {
        format: if r.jobs.is_some() {
            DumpFormat::Directory
        } else {
            DumpFormat::Custom
        },
        jobs: r.jobs,
        upgrades_table: r.project.upgrades_table(),
        // The rehearsal's own dump (backup_file): each run replaces the last.
        overwrite: true,
        ..Default::default()
    };
    // The sandbox's initdb overlaps the dump. The cluster is started on
    // this thread, which lives to the end, because the server is tied to
    // the thread that spawned it (it dies with it).
    reached.sandbox_started = needs_sandbox;
    let (dumped, started) = std::thread::scope(|scope| {
        let dump =
            scope.spawn(|| timed(|| dump::dump(&r.prod, &path, &dump_opts, &r.tools, printer)));
        let started = needs_sandbox.then(|| timed(start));
        (
            dump.join().expect("the dump thread does not panic"),
            started,
        )
    });
    // A sandbox started beside an interrupted dump is removed with it.
    if let Some((Ok(cluster), _)) = &started {
        reached.sandbox_dir = Some(cluster.socket_dir().to_path_buf());
    }
    phases.record("dump production", dumped)?;
    let cluster = match started {
        Some(s) => Some(phases.record("start sandbox cluster", s)?),
        None => None,
    };
    Ok((Some(path), cluster))
}

/// Step 2b: restore (or stream) into the test database.
#[allow(clippy::too_many_arguments)]
fn restore(
    r: &Rehearsal<'_>,
    targets: &Targets,
    before: &Before,
    dump_path: Option<&std::path::Path>,
    sandbox: Option<&Cluster>,
    phases: &mut Phases<'_>,
    report: &mut RehearsalReport,
    printer: &Printer,
) -> Result<Copied> {
    let (test, rehearse_as, mode, keep_owners) = match (&r.test, sandbox) {
        (Some(p), _) => {
            let (mode, superuser) =
                phases.run("prepare test database", || test_restore_mode(p, targets))?;
            if !superuser {
                printer.warn(format!(
                    "the test database's role {} is not a superuser: objects are restored owned by it, \
                     not by production's owners, and the deltas run as it, not as production's role {}",
                    p.user(),
                    before.facts.roles.session_user
                ));
            }
            (p.clone(), p.clone(), mode, superuser)
        }
        (None, Some(cluster)) => {
            let (test, as_prod) = phases.run("prepare sandbox roles and database", || {
                sandbox::prepare(cluster, &before.facts)
            })?;
            (test, as_prod, RestoreMode::InPlace, true)
        }
        (None, None) => unreachable!("a sandbox is started when no test database is named"),
    };
    let restore_opts = RestoreOptions {
        mode,
        jobs: r.jobs,
        exit_on_error: !r.ignore_restore_errors,
        no_owner: !keep_owners,
        protected: targets.protected.clone(),
        ..Default::default()
    };
    match dump_path {
        Some(path) => {
            phases.run("restore into test database", || {
                dump::restore(&test, path, &restore_opts, &r.tools, printer)
            })?;
            // A kept dump is production's way back: its restore just measured it.
            if r.dump_file.is_some() {
                report.recovery_ms = phases.list.last().map(|p| p.duration_ms);
                report.recovery_dump = Some(path.display().to_string());
            }
        }
        None => {
            phases.run("copy production into test database", || {
                dump::copy(&r.prod, &test, &restore_opts, &r.tools, printer)
            })?;
        }
    };
    Ok(Copied { test, rehearse_as })
}

/// A test database that does not exist yet is created; one that exists is
/// cleaned first (pum 0.x required the user to prepare an empty one). Also
/// tells whether the test role is a superuser (and so can keep owners).
fn test_restore_mode(test: &ConnParams, targets: &Targets) -> Result<(RestoreMode, bool)> {
    let mut admin = db::connect(&db::maintenance(test))?;
    let superuser: bool = crate::db::value(
        &mut admin,
        "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user",
        &[],
        "reading the test role's attributes",
    )?;
    let exists = targets
        .test
        .as_ref()
        .is_some_and(|t| t.existing().is_some());
    let mode = if exists {
        RestoreMode::Clean
    } else {
        RestoreMode::Create
    };
    Ok((mode, superuser))
}
