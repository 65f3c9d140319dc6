//! Repairing a pum 1.x module's `pum_migrations`. pum 1.x records which
//! files a version had but no checksums, and no rows for failed runs, so
//! there is nothing to re-record or remove: what a repair does here is
//! record a pending version as applied (`--mark-applied` with its version
//! directory or one of its files) in the row shape pum 1.x writes, and warn
//! about recorded files that are gone.

use postgres::Transaction;

use super::{refuse_mark, same_file, Change, Planned, RepairRequest};
use crate::error::{Error, Result};
use crate::module::changelog::Changelog;
use crate::module::migrations::{self, MigrationRow, NewRow};
use crate::module::plan::{self, VersionStatus};
use crate::module::Loaded;

pub(super) fn repair(
    tx: &mut Transaction<'_>,
    loaded: &Loaded,
    req: &RepairRequest,
) -> Result<Planned> {
    if !migrations::exists(tx, &loaded.table)? {
        return Err(Error::State(format!(
            "{} not found: the module is not installed here; nothing to repair",
            loaded.table
        )));
    }
    if req.forget_missing {
        return Err(Error::Usage(
            "--forget-missing: a pum_migrations row is a whole version, not a file; \
             a module's rows are never removed by repair"
                .into(),
        ));
    }
    let rows = migrations::read(tx, &loaded.table)?;
    let planned = plan(&rows, loaded, req)?;
    if !req.dry_run {
        let parameters = serde_json::Value::Object(loaded.params.clone());
        for changelog in marked(&planned.changes, &loaded.changelogs) {
            let files = changelog.recorded_files();
            migrations::record(
                tx,
                &loaded.table,
                &NewRow {
                    module: &loaded.config.module,
                    version: &changelog.version.to_string(),
                    changelog_files: &files,
                    parameters: &parameters,
                    beta_testing: false,
                },
            )?;
        }
    }
    Ok(planned)
}

fn plan(rows: &[MigrationRow], loaded: &Loaded, req: &RepairRequest) -> Result<Planned> {
    let statuses = plan::statuses(rows, &loaded.changelogs, None);
    let mut changes = Vec::new();
    for given in &req.mark_applied {
        let (changelog, status) = loaded
            .changelogs
            .iter()
            .zip(&statuses)
            .find(|(c, _)| {
                same_file(given, &c.dir) || c.files.iter().any(|f| same_file(given, &f.path))
            })
            .ok_or_else(|| {
                refuse_mark(
                    given,
                    format_args!("not a version directory or changelog file of the module"),
                )
            })?;
        if *status != VersionStatus::Pending {
            return Err(refuse_mark(
                given,
                format_args!(
                    "version {} is {}, not pending",
                    changelog.version,
                    status.label()
                ),
            ));
        }
        let change = Change::MarkApplied {
            file: changelog.dir.display().to_string(),
            version: changelog.version.to_string(),
            checksum: None,
        };
        if !changes.contains(&change) {
            changes.push(change);
        }
    }
    let mut warnings = missing_files(rows, &loaded.changelogs);
    let newest_marked = marked(&changes, &loaded.changelogs)
        .map(|c| &c.version)
        .max();
    for (c, s) in loaded.changelogs.iter().zip(&statuses) {
        let skipped = newest_marked.is_some_and(|m| &c.version < m);
        if *s == VersionStatus::Pending
            && skipped
            && !marked(&changes, &loaded.changelogs).any(|m| m.version == c.version)
        {
            warnings.push(format!(
                "version {} is pending and older than a version marked applied: upgrade will never run it",
                c.version
            ));
        }
    }
    let before = plan::current_version(rows);
    let after = newest_marked.cloned().max(before.clone());
    Ok(Planned {
        changes,
        warnings,
        version_before: before.map(|v| v.to_string()),
        version_after: after.map(|v| v.to_string()),
    })
}

/// The changelogs the changes mark applied.
fn marked<'a>(
    changes: &'a [Change],
    changelogs: &'a [Changelog],
) -> impl Iterator<Item = &'a Changelog> {
    changes.iter().filter_map(move |c| match c {
        Change::MarkApplied { version, .. } => changelogs
            .iter()
            .find(|l| l.version.to_string() == *version),
        _ => None,
    })
}

/// Recorded changelog files that the module no longer has: the version
/// directory is gone, or it has no file of that name. Names are compared,
/// not paths, since pum 1.x records paths as the module directory was
/// spelt where it ran.
fn missing_files(rows: &[MigrationRow], changelogs: &[Changelog]) -> Vec<String> {
    let mut warnings = Vec::new();
    for r in rows {
        let version = changelogs
            .iter()
            .find(|c| plan::same_version(&c.version, &r.version));
        for recorded in &r.changelog_files {
            let name = std::path::Path::new(recorded).file_name();
            let present =
                version.is_some_and(|c| c.files.iter().any(|f| Some(f.name.as_ref()) == name));
            if !present {
                warnings.push(format!(
                    "version {} records {recorded}, which the module no longer has; kept (a module's rows are never rewritten)",
                    r.version
                ));
            }
        }
    }
    warnings
}
