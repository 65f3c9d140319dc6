//! `pum repair`: setting a database's history right after the files moved
//! on — an applied delta edited (a comment, a typo), a delta applied by hand
//! during an incident, rows of failed runs, files deleted since. Every change
//! is planned from the history and the files first (pure, so it is
//! unit-tested), then written in one transaction under the run lock, so a
//! repair never interleaves with an upgrade; `--dry-run` stops after the plan.

mod deltas;
mod module;

use std::path::PathBuf;

use postgres::Client;
use serde::Serialize;

use crate::db::QualifiedName;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::project::Project;
use crate::runner::lock;

/// What the user asked `pum repair` to do beyond re-recording checksums and
/// removing failed rows.
#[derive(Debug, Clone, Default)]
pub struct RepairRequest {
    /// Plan and print, change nothing.
    pub dry_run: bool,
    /// Remove the rows of recorded deltas whose file is gone.
    pub forget_missing: bool,
    /// Files to record as applied without running them.
    pub mark_applied: Vec<PathBuf>,
}

/// One change to the history, as printed and as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    /// An applied delta's file changed: a row with the new checksum is
    /// added; the row with the old one stays.
    RecordChecksum {
        file: String,
        version: String,
        old_checksum: String,
        new_checksum: String,
    },
    /// A row of a failed run (`success` false) is removed.
    RemoveFailed {
        id: i32,
        version: String,
        description: String,
    },
    /// A recorded delta whose file is gone is removed (`--forget-missing`).
    Forget {
        id: i32,
        version: String,
        description: String,
    },
    /// A pending delta (or module version) is recorded as applied without
    /// running it (`--mark-applied`).
    MarkApplied {
        file: String,
        version: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        checksum: Option<String>,
    },
}

impl Change {
    /// One line saying what this change does (or, dry, would do).
    pub fn describe(&self) -> String {
        match self {
            Change::RecordChecksum {
                file,
                old_checksum,
                new_checksum,
                ..
            } => format!("record checksum {new_checksum} of {file} (was {old_checksum})"),
            Change::RemoveFailed {
                id,
                version,
                description,
            } => format!("remove row {id} of a failed run ({version} {description})"),
            Change::Forget {
                id,
                version,
                description,
            } => format!("forget row {id} ({version} {description}): its file is gone"),
            Change::MarkApplied { file, version, .. } => {
                format!("mark {file} (version {version}) as applied without running it")
            }
        }
    }
}

/// What a repair changed (or, dry, would change).
#[derive(Debug, Clone, Serialize)]
pub struct RepairReport {
    pub database: String,
    pub table: String,
    pub dry_run: bool,
    pub changes: Vec<Change>,
    /// Things left as they are, each with the reason.
    pub warnings: Vec<String>,
    pub version_before: Option<String>,
    pub version_after: Option<String>,
}

/// The plan of one layout: the changes and warnings, and the versions
/// before and after.
#[derive(Debug)]
struct Planned {
    changes: Vec<Change>,
    warnings: Vec<String>,
    version_before: Option<String>,
    version_after: Option<String>,
}

/// Repairs the history of `project` on `client`'s database.
pub fn repair(
    client: &mut Client,
    project: &Project,
    database: &str,
    req: &RepairRequest,
    printer: &Printer,
) -> Result<RepairReport> {
    let table = history_table(project, printer)?;
    let locked = !req.dry_run;
    if locked {
        lock::acquire(client, &table, project.options().run_lock_timeout)?;
    }
    let result = plan_and_write(client, project, req, printer);
    if locked {
        lock::release(client, &table);
    }
    let planned = result?;
    Ok(RepairReport {
        database: database.to_string(),
        table: table.to_string(),
        dry_run: req.dry_run,
        changes: planned.changes,
        warnings: planned.warnings,
        version_before: planned.version_before,
        version_after: planned.version_after,
    })
}

fn history_table(project: &Project, printer: &Printer) -> Result<QualifiedName> {
    Ok(match project {
        Project::Deltas { project, .. } => project.table.clone(),
        Project::Module { dir, request } => {
            crate::module::load(dir, &request.parameters, printer)?.table
        }
    })
}

/// Reads the history inside the transaction that writes the changes, so
/// what is planned is what is changed.
fn plan_and_write(
    client: &mut Client,
    project: &Project,
    req: &RepairRequest,
    printer: &Printer,
) -> Result<Planned> {
    let mut tx = client
        .transaction()
        .map_err(|e| Error::sql("starting the repair", e))?;
    let planned = match project {
        Project::Deltas { project, .. } => deltas::repair(&mut tx, project, req)?,
        Project::Module { dir, request } => {
            let loaded = crate::module::load(dir, &request.parameters, printer)?;
            module::repair(&mut tx, &loaded, req)?
        }
    };
    if req.dry_run {
        tx.rollback()
            .map_err(|e| Error::sql("ending the dry run", e))?;
    } else {
        crate::interrupt::check("repairing the history")?;
        tx.commit()
            .map_err(|e| Error::sql("committing the repair", e))?;
    }
    Ok(planned)
}

/// A `--mark-applied` file refused (named as the user wrote it), and why;
/// nothing is changed then.
fn refuse_mark(given: &std::path::Path, why: std::fmt::Arguments<'_>) -> crate::error::Error {
    crate::error::Error::Usage(format!(
        "--mark-applied {}: {why}; nothing was changed",
        given.display()
    ))
}

/// Whether `given` names `candidate`: the same file on disk, or the same
/// path as written.
fn same_file(given: &std::path::Path, candidate: &std::path::Path) -> bool {
    match (given.canonicalize(), candidate.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => given == candidate,
    }
}
