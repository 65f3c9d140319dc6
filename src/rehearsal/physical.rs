//! The physical copy (`--copy physical`): a base backup of production's
//! whole cluster by pg_basebackup (a replication connection, the WAL
//! streamed beside the files) into a private directory, started as a
//! private server of production's major version on a port and a socket of
//! its own. The test database is production's database there, byte for
//! byte: same OIDs, statistics and bloat, no index rebuilt.
//!
//! The private server must never act as production or for it: it listens
//! on nothing but its private socket, archives nothing, is no standby,
//! sends no WAL, runs no subscription (its workers would consume
//! production's publishers' slots), writes no pid or log file outside its
//! directory, and trusts only local connections through that 0700
//! directory.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use crate::config::CopyMethod;
use crate::db::identity;
use crate::dump::child::ChildRun;
use crate::dump::guard;
use crate::dump::progress::Progress;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::sandbox::{self as cluster, Cluster, Launch};

use super::interrupted::Reached;
use super::phases::Phases;
use super::physical_checks::{self as checks, Plan};
use super::targets::{Before, Targets};
use super::{Copied, Rehearsal, RehearsalReport};

/// With `--copy physical`: checks, copies and starts; the private server
/// is removed when the returned value is dropped (the rehearsal's end, a
/// failure, a signal). With `--copy logical`, nothing (that copy is made
/// later, inside the rehearsal).
pub(super) fn copy(
    r: &Rehearsal<'_>,
    before: &Before,
    reached: &mut Reached,
    phases: &mut Phases<'_>,
    report: &mut RehearsalReport,
    printer: &Printer,
) -> Result<Option<Cluster>> {
    if r.copy == CopyMethod::Logical {
        return Ok(None);
    }
    let t0 = std::time::Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("pum-copy-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    // The server insists that its directory be private; so do we.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .map_err(|e| Error::io(dir.path(), e))?;
    let plan = phases.run("check physical copy", || {
        checks::check(r, before.facts.major, dir.path())
    })?;
    phases.run("base backup of production", || {
        base_backup(r, &plan, dir.path(), printer)
    })?;
    reached.sandbox_started = true;
    let private = phases.run("start private server on the copy", || start(r, &plan, dir))?;
    reached.sandbox_dir = Some(private.socket_dir().to_path_buf());
    printer.step(format!(
        "private server: PostgreSQL {} on port {}, socket directory {} (no TCP)",
        private.binaries.major,
        private.port(),
        private.socket_dir().display()
    ));
    report.copy_ms = Some(t0.elapsed().as_millis() as u64);
    Ok(Some(private))
}

/// Production's database in the private server. Asked of the servers, it
/// must not be production (nor any database a copy may not write): the
/// copy shares production's system identifier, never its start time and
/// port.
pub(super) fn test_database(
    r: &Rehearsal<'_>,
    targets: &Targets,
    before: &Before,
    private: &Cluster,
) -> Result<Copied> {
    let test = private.params(r.prod.dbname());
    let here = identity::locate(&test)?;
    guard::refuse_protected(
        &here,
        &targets.protected,
        "the physical copy's test database",
    )?;
    let rehearse_as = test.with_user(&before.facts.roles.session_user);
    Ok(Copied { test, rehearse_as })
}

/// `pg_basebackup -X stream` into `dir/data`, tablespaces mapped into
/// `dir`; the connection as production's, through the environment only.
fn base_backup(r: &Rehearsal<'_>, plan: &Plan, dir: &Path, printer: &Printer) -> Result<()> {
    let data = dir.join("data");
    let mut args: Vec<OsString> = vec![
        "-D".into(),
        data.clone().into(),
        "-X".into(),
        "stream".into(),
        // A spread checkpoint could keep the rehearsal waiting for minutes.
        "--checkpoint=fast".into(),
        // A throw-away copy needs no fsync.
        "--no-sync".into(),
        "--no-password".into(),
        "--label=pum rehearsal".into(),
    ];
    if plan.binaries.major >= 13 {
        // Nobody verifies this copy later: spare production the checksums.
        args.push("--no-manifest".into());
    }
    for (oid, location) in &plan.tablespaces {
        let target = dir.join(format!("tablespace_{oid}"));
        let mut mapping = OsString::from("--tablespace-mapping=");
        mapping.push(location.replace('=', "\\="));
        mapping.push("=");
        mapping.push(target.to_string_lossy().replace('=', "\\="));
        args.push(mapping);
    }
    let exe = plan.binaries.bindir.join("pg_basebackup");
    let run = ChildRun {
        program: "pg_basebackup",
        exe: &exe,
        config_key: "PUM_PG_BINDIR",
        args,
        params: &r.prod,
        watch: Some(&data),
        tolerate_failure: false,
    };
    let progress = Progress::new(printer, "copying production's cluster", true);
    let out = run.run(&progress);
    progress.finish();
    match out {
        Ok(_) => Ok(()),
        Err(Error::Child { stderr, .. })
            if checks::explain_refusal(&stderr, r.prod.user()).is_some() =>
        {
            Err(Error::Refused(
                checks::explain_refusal(&stderr, r.prod.user()).unwrap_or_default(),
            ))
        }
        Err(e) => Err(e),
    }
}

/// Makes the copy a private server's and starts it on a free port.
fn start(r: &Rehearsal<'_>, plan: &Plan, dir: tempfile::TempDir) -> Result<Cluster> {
    let data = dir.path().join("data");
    // Not a standby, not in archive recovery: crash recovery from the
    // backup's own WAL, then a primary of its own.
    for file in ["standby.signal", "recovery.signal", "postmaster.pid"] {
        let _ = std::fs::remove_file(data.join(file));
    }
    let conf = data.join("postgresql.conf");
    if !conf.exists() {
        // Production keeps its configuration outside its data directory.
        write(
            &conf,
            "# pum: production's configuration was not in its data directory\n",
        )?;
    }
    let hba = dir.path().join("pum_hba.conf");
    write(&hba, "local all all trust\n")?;
    let ident = dir.path().join("pum_ident.conf");
    write(&ident, "")?;
    cluster::give_to_server_owner(dir.path())?;
    let port = cluster::free_port()?;
    let path = |p: &Path| p.display().to_string();
    let settings = [
        format!("port={port}"),
        "listen_addresses=".into(),
        format!("unix_socket_directories={}", path(dir.path())),
        format!("data_directory={}", path(&data)),
        format!("hba_file={}", path(&hba)),
        format!("ident_file={}", path(&ident)),
        "external_pid_file=".into(),
        "cluster_name=pum-rehearsal".into(),
        "archive_mode=off".into(),
        "archive_command=".into(),
        "restore_command=".into(),
        "primary_conninfo=".into(),
        "primary_slot_name=".into(),
        "synchronous_standby_names=".into(),
        "max_wal_senders=0".into(),
        "max_logical_replication_workers=0".into(),
        "logging_collector=off".into(),
        "log_destination=stderr".into(),
        "ssl=off".into(),
        "huge_pages=try".into(),
        "fsync=off".into(),
        "synchronous_commit=off".into(),
        // Statistics stay production's while the deltas are measured.
        "autovacuum=off".into(),
    ];
    Cluster::launch(
        dir,
        plan.binaries.clone(),
        port,
        Launch {
            superuser: plan.superuser.clone(),
            ready_db: r.prod.dbname().to_string(),
            settings: settings.to_vec(),
            // Start-up replays the WAL written while the files were copied.
            ready_timeout: Duration::from_secs(600),
            die_with_parent: !r.keep_sandbox,
        },
    )
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}
