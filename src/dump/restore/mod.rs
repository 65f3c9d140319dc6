//! Restoring a dump: check it against its manifest, pick where it goes (the
//! database in place, a new database, or a temporary one swapped in only
//! when the restore succeeded) and run `pg_restore` — once per section and
//! archive for schema-wise dumps, so foreign keys between schemas resolve.
//!
//! This module holds the two entry points ([`restore`] from a dump on disk,
//! [`copy`] from a live database) and what they report; `target` prepares
//! where the restore goes, `job` runs `pg_restore`.

mod job;
mod reversible;
mod target;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::db;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;

use super::child::Tools;
use super::guard;
use super::manifest::{self, DumpKind, Manifest};

use job::{RestoreJob, Source};
pub use reversible::{local_copies, move_to, LocalCopy, Moved, Position};
pub use target::{swap_back, SwapBack};

/// Opens a dump that streams (a store's object) afresh at each call: once
/// to check it against its manifest, once more to restore it.
pub type OpenStream<'a> = dyn Fn() -> Result<Box<dyn Read + Send>> + Sync + 'a;

/// What runs on the restored temporary database of a swap before it is
/// swapped in (`--pre-swap` files, `--pre-swap-upgrade`); a failure leaves
/// the live database untouched and the temporary one removed.
#[derive(Clone)]
pub struct BeforeSwap(pub Arc<SwapHook>);

/// The function a [`BeforeSwap`] holds: given the restored database.
pub type SwapHook = dyn Fn(&ConnParams) -> Result<()> + Send + Sync;

impl std::fmt::Debug for BeforeSwap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BeforeSwap(..)")
    }
}

/// Where the restore goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestoreMode {
    /// Into the existing database, which must hold no user objects.
    #[default]
    InPlace,
    /// Into the existing database after dropping its user schemas.
    Clean,
    /// Into a database that does not exist yet; created from `template0`,
    /// dropped again if the restore fails.
    Create,
    /// Into a temporary database; only when that succeeded is the target
    /// renamed to `<name>_previous` and the temporary one to `<name>`.
    Swap,
}

/// How to restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    pub mode: RestoreMode,
    /// Parallel workers (custom and directory archives).
    pub jobs: Option<u32>,
    /// Objects are owned by the restoring user (`pg_restore --no-owner`).
    pub no_owner: bool,
    /// Stop at the first error (`--exit-on-error`); off: count the errors.
    pub exit_on_error: bool,
    /// Check the files against the manifest first.
    pub verify: bool,
    /// Only these schemas (exact names).
    pub schemas: Vec<String>,
    /// Leave these schemas out (exact names).
    pub exclude_schemas: Vec<String>,
    /// Databases this restore must never write into, recognised by the
    /// server on the very connection that would write.
    pub protected: Vec<guard::Protected>,
    /// With a swap: run on the restored database before it goes live.
    pub before_swap: Option<BeforeSwap>,
    /// With a swap: leave `<name>_previous` so that `:previous` and
    /// `:current` can move between the two (an older `<name>_current` is kept
    /// under a name of its own).
    pub reversible: bool,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            mode: RestoreMode::default(),
            jobs: None,
            no_owner: true,
            exit_on_error: true,
            verify: true,
            schemas: Vec::new(),
            exclude_schemas: Vec::new(),
            protected: Vec::new(),
            before_swap: None,
            reversible: false,
        }
    }
}

/// What a restore did; also its `--format json` output.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub database: String,
    pub source: PathBuf,
    pub kind: DumpKind,
    /// `verified`, `skipped` (--no-verify) or `no-manifest`.
    pub verification: &'static str,
    pub mode: RestoreMode,
    /// With a swap: the name the replaced database now has.
    pub previous: Option<String>,
    /// With a swap over an older `<name>_previous`: the name that older
    /// database is kept under (`<name>_previous_<UTC time>`); never dropped.
    pub previous_kept: Option<String>,
    /// With `--reversible` over an older `<name>_current`: where it is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_kept: Option<String>,
    /// Errors pg_restore reported and went past (only without exit-on-error).
    pub errors_ignored: u64,
    /// The database's version recorded in the manifest.
    pub version: Option<String>,
    pub duration_ms: u64,
}

/// Restores the dump at `source` into the database of `params`.
pub fn restore(
    params: &ConnParams,
    source: &Path,
    opts: &RestoreOptions,
    tools: &Tools,
    printer: &Printer,
) -> Result<RestoreReport> {
    let started = Instant::now();
    if !source.exists() {
        return Err(Error::io(
            source,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such dump"),
        ));
    }
    let manifest = manifest::find(source)?;
    let kind = match &manifest {
        Some(m) => m.kind,
        None => sniff_kind(source)?,
    };
    if kind == DumpKind::Plain {
        return Err(Error::Usage(format!(
            "{} is a plain SQL dump; pg_restore cannot read it, run it with psql -f instead",
            source.display()
        )));
    }
    let verification = verification(source, manifest.as_ref(), opts.verify, printer)?;
    if kind == DumpKind::SchemaWise && manifest.is_none() {
        return Err(Error::State(format!(
            "{}: a schema-wise dump needs its manifest.json",
            source.display()
        )));
    }
    let job = RestoreJob {
        source: Source::Archive(source),
        kind,
        manifest: manifest.as_ref(),
        opts,
        tools,
        printer,
    };
    let version = manifest.as_ref().and_then(|m| m.version.clone());
    let report = Reported {
        source: source.to_path_buf(),
        verification,
        version,
        started,
    };
    place_and_report(params, &job, report)
}

/// Copies the live database of `from` into the target of `params` by
/// streaming `pg_dump -Fc` into `pg_restore`: both run at once and no dump
/// touches the disk. The target is prepared as by [`restore`] (`opts.mode`);
/// `opts.jobs` and `opts.verify` do not apply to a stream.
pub fn copy(
    from: &ConnParams,
    params: &ConnParams,
    opts: &RestoreOptions,
    tools: &Tools,
    printer: &Printer,
) -> Result<RestoreReport> {
    let started = Instant::now();
    let server = db::server_version(&mut db::connect(from)?)?;
    super::check_pg_dump_version(&tools.pg_dump_version()?, &server, tools)?;
    let opts = RestoreOptions {
        jobs: None,
        ..opts.clone()
    };
    let job = RestoreJob {
        source: Source::Live(from),
        kind: DumpKind::Custom,
        manifest: None,
        opts: &opts,
        tools,
        printer,
    };
    let report = Reported {
        source: PathBuf::from(format!("(streamed from {})", from.target())),
        verification: "streamed",
        version: None,
        started,
    };
    place_and_report(params, &job, report)
}

/// Restores the custom archive `open` streams into the database of
/// `params`, without a local copy: with a manifest (and `opts.verify`) the
/// stream is read through once and hashed before anything is touched, then
/// read again into pg_restore — and hashed again, so an object replaced
/// between the two reads fails the restore (a swap then changes nothing).
pub fn restore_stream(
    params: &ConnParams,
    label: &str,
    manifest: Option<&Manifest>,
    open: &OpenStream<'_>,
    opts: &RestoreOptions,
    tools: &Tools,
    printer: &Printer,
) -> Result<RestoreReport> {
    let started = Instant::now();
    if opts.jobs.is_some() {
        return Err(Error::Usage(format!(
            "-j/--jobs needs a local dump: pg_restore reads {label} from a stream, with one process"
        )));
    }
    if let Some(m) = manifest {
        if m.kind != DumpKind::Custom || m.files.len() != 1 {
            return Err(Error::State(format!(
                "{label}: the manifest describes a {} dump; only one custom archive streams",
                m.kind.label()
            )));
        }
    }
    let expected = manifest.filter(|_| opts.verify).map(|m| &m.files[0]);
    let verification = match (manifest, opts.verify) {
        (_, false) => "skipped",
        (None, true) => {
            printer.warn(format!("{label} has no manifest; restoring it unverified"));
            "no-manifest"
        }
        (Some(_), true) => {
            printer.step(format!("verifying {label} against its manifest"));
            let entry = expected.expect("verify with a manifest");
            let mut reader = open()?;
            let (size, sha) = job::hash_stream(&mut *reader, label)?;
            if let Some(problem) = job::mismatch(entry, size, &sha) {
                return Err(Error::Refused(format!(
                    "dump {label} does not match its manifest, it changed or is incomplete:\n  {problem}\n\
                     nothing was restored; pass --no-verify to restore it anyway"
                )));
            }
            "verified"
        }
    };
    let job = RestoreJob {
        source: Source::Stream { open, expected },
        kind: DumpKind::Custom,
        manifest,
        opts,
        tools,
        printer,
    };
    let report = Reported {
        source: PathBuf::from(label),
        verification,
        version: manifest.and_then(|m| m.version.clone()),
        started,
    };
    place_and_report(params, &job, report)
}

/// What a report says beyond what the job and its placing tell.
struct Reported {
    source: PathBuf,
    verification: &'static str,
    version: Option<String>,
    started: Instant,
}

/// Runs `job` into the target of `params` and reports it: what
/// [`restore`] and [`copy`] share.
fn place_and_report(
    params: &ConnParams,
    job: &RestoreJob<'_>,
    report: Reported,
) -> Result<RestoreReport> {
    let placed = target::place(params, job)?;
    Ok(RestoreReport {
        database: params.dbname().to_string(),
        source: report.source,
        kind: job.kind,
        verification: report.verification,
        mode: job.opts.mode,
        previous: placed.previous,
        previous_kept: placed.previous_kept,
        current_kept: placed.current_kept,
        errors_ignored: placed.errors,
        version: report.version,
        duration_ms: report.started.elapsed().as_millis() as u64,
    })
}

/// Checks the dump against its manifest (unless `verify` is off) and says
/// how: `verified`, `skipped` or `no-manifest`.
fn verification(
    source: &Path,
    manifest: Option<&Manifest>,
    verify: bool,
    printer: &Printer,
) -> Result<&'static str> {
    Ok(match (manifest, verify) {
        (_, false) => "skipped",
        (None, true) => {
            printer.warn(format!(
                "{} has no manifest ({}); restoring it unverified",
                source.display(),
                manifest::location(source).display()
            ));
            "no-manifest"
        }
        (Some(m), true) => {
            let problems = m.verify(source)?;
            if !problems.is_empty() {
                return Err(Error::Refused(format!(
                    "dump {} does not match its manifest, it changed or is incomplete:\n  {}\n\
                 pass --no-verify to restore it anyway",
                    source.display(),
                    problems.join("\n  ")
                )));
            }
            "verified"
        }
    })
}

/// Tells a dump without a manifest by its content.
fn sniff_kind(source: &Path) -> Result<DumpKind> {
    if source.is_dir() {
        if source.join("toc.dat").is_file() {
            return Ok(DumpKind::Directory);
        }
        return Err(Error::State(format!(
            "{} is a directory without toc.dat or manifest.json: not a dump",
            source.display()
        )));
    }
    let mut magic = [0u8; 5];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(source).map_err(|e| Error::io(source, e))?;
        f.read(&mut magic).map_err(|e| Error::io(source, e))?
    };
    Ok(if n == 5 && &magic == b"PGDMP" {
        DumpKind::Custom
    } else {
        DumpKind::Plain
    })
}
