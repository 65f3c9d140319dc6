//! Repairing a pum 0.x upgrades table. A new checksum is recorded as a new
//! successful row (same version, name and type; `installed_by` ends in
//! `(pum repair)`, execution time 0), never by rewriting the old row: the
//! old checksum stays visible in `info`'s history, and pum 0.x, which counts
//! a delta as applied when any successful row of its version has the file's
//! checksum, reads the table the same way.

use postgres::Transaction;

use super::{refuse_mark, same_file, Change, Planned, RepairRequest};
use crate::db::QualifiedName;
use crate::deltas::plan::{self, AppliedRow, Status};
use crate::deltas::Delta;
use crate::error::{Error, Result};
use crate::history::{self, HistoryRow};
use crate::project::DeltaProject;

pub(super) fn repair(
    tx: &mut Transaction<'_>,
    project: &DeltaProject,
    req: &RepairRequest,
) -> Result<Planned> {
    let table = &project.table;
    history::require(tx, table, &format!("this database ({table})"))?;
    let rows = history::read(tx, table)?;
    let planned = plan(&rows, &project.discovered.deltas, req)?;
    if !req.dry_run {
        write(tx, table, &planned.changes, &project.discovered.deltas)?;
    }
    Ok(planned)
}

/// The changes a repair makes to `rows`, given the delta files `found`.
fn plan(rows: &[HistoryRow], found: &[Delta], req: &RepairRequest) -> Result<Planned> {
    let applied: Vec<AppliedRow> = rows.iter().map(HistoryRow::as_applied).collect();
    let current = plan::current_version(&applied);
    let statuses = plan::statuses(&applied, found, current.as_ref(), None);
    let mut changes = Vec::new();
    let mut warnings = Vec::new();
    for (d, status) in found.iter().zip(&statuses) {
        if *status == Status::ChangedSinceApplied {
            let old = plan::records_of(&applied, d)
                .last()
                .expect("a recorded row");
            changes.push(Change::RecordChecksum {
                file: d.path.display().to_string(),
                version: d.version.to_string(),
                old_checksum: old.checksum.clone(),
                new_checksum: d.checksum.clone(),
            });
        }
    }
    for row in rows.iter().filter(|r| !r.success) {
        changes.push(Change::RemoveFailed {
            id: row.id,
            version: row.version.clone(),
            description: row.description.clone(),
        });
    }
    let gone = rows.iter().filter(|r| {
        r.success && r.type_code != 0 && !found.iter().any(|d| r.as_applied().records(d))
    });
    for row in gone {
        if req.forget_missing {
            changes.push(Change::Forget {
                id: row.id,
                version: row.version.clone(),
                description: row.description.clone(),
            });
        } else {
            warnings.push(format!(
                "row {} ({} {}, {}) records a delta whose file is gone; kept (--forget-missing removes it)",
                row.id,
                row.version,
                row.description,
                crate::deltas::type_label(row.type_code)
            ));
        }
    }
    for change in marked(found, &statuses, req)? {
        if !changes.contains(&change) {
            changes.push(change);
        }
    }
    let after = rows_after(&applied, rows, &changes, found);
    let version_after = plan::current_version(&after);
    if version_after < current {
        warnings.push(format!(
            "the recorded version goes down from {} to {}: deltas between them that no row records become pending",
            display(current.as_ref()),
            display(version_after.as_ref())
        ));
    }
    Ok(Planned {
        changes,
        warnings,
        version_before: current.map(|v| v.to_string()),
        version_after: version_after.map(|v| v.to_string()),
    })
}

/// The `--mark-applied` files as changes; each must be a pending delta.
fn marked(found: &[Delta], statuses: &[Status], req: &RepairRequest) -> Result<Vec<Change>> {
    req.mark_applied
        .iter()
        .map(|given| {
            let (d, status) = found
                .iter()
                .zip(statuses)
                .find(|(d, _)| {
                    same_file(given, &d.path) || given.as_os_str() == d.file_name.as_str()
                })
                .ok_or_else(|| {
                    refuse_mark(
                        given,
                        format_args!("not a delta file of the delta directories"),
                    )
                })?;
            if *status != Status::Pending {
                return Err(refuse_mark(
                    given,
                    format_args!("the delta is {}, not pending", status.label()),
                ));
            }
            Ok(Change::MarkApplied {
                file: d.path.display().to_string(),
                version: d.version.to_string(),
                checksum: Some(d.checksum.clone()),
            })
        })
        .collect()
}

fn display(version: Option<&crate::deltas::Version>) -> String {
    version.map_or_else(|| "(none)".to_string(), ToString::to_string)
}

/// The rows as they will be once `changes` are written.
fn rows_after(
    applied: &[AppliedRow],
    rows: &[HistoryRow],
    changes: &[Change],
    found: &[Delta],
) -> Vec<AppliedRow> {
    let removed: Vec<i32> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RemoveFailed { id, .. } | Change::Forget { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    let mut after: Vec<AppliedRow> = applied
        .iter()
        .zip(rows)
        .filter(|(_, r)| !removed.contains(&r.id))
        .map(|(a, _)| a.clone())
        .collect();
    for d in changes.iter().filter_map(|c| inserted(c, found)) {
        after.push(AppliedRow {
            version: d.version.to_string(),
            description: d.description.clone(),
            type_code: d.kind.type_code(),
            checksum: d.checksum.clone(),
            success: true,
        });
    }
    after
}

/// The delta a change adds a row for.
fn inserted<'a>(change: &Change, found: &'a [Delta]) -> Option<&'a Delta> {
    match change {
        Change::RecordChecksum { file, .. } | Change::MarkApplied { file, .. } => {
            found.iter().find(|d| d.path.display().to_string() == *file)
        }
        _ => None,
    }
}

fn write(
    tx: &mut Transaction<'_>,
    table: &QualifiedName,
    changes: &[Change],
    found: &[Delta],
) -> Result<()> {
    let delete = format!("DELETE FROM {} WHERE id = $1", table.quoted());
    for change in changes {
        match change {
            Change::RemoveFailed { id, .. } | Change::Forget { id, .. } => {
                tx.execute(&delete, &[id])
                    .map_err(|e| Error::sql(format!("removing row {id} from {table}"), e))?;
            }
            _ => {
                let delta = inserted(change, found).expect("a delta found on disk");
                history::record_repair(tx, table, delta)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deltas::{DeltaKind, TxMode, Version};

    fn delta(version: &str, name: &str, checksum: &str) -> Delta {
        Delta {
            path: format!("deltas/delta_{version}_{name}.sql").into(),
            file_name: format!("delta_{version}_{name}.sql"),
            version: Version::parse(version).unwrap(),
            description: name.into(),
            kind: DeltaKind::Sql,
            checksum: checksum.into(),
            sql: Some(String::new()),
            mode: TxMode::Atomic,
            dir_index: 0,
        }
    }

    fn row(
        id: i32,
        version: &str,
        name: &str,
        type_code: i32,
        checksum: &str,
        success: bool,
    ) -> HistoryRow {
        HistoryRow {
            id,
            version: version.into(),
            description: name.into(),
            type_code,
            script: String::new(),
            checksum: checksum.into(),
            installed_by: "u".into(),
            installed_on: String::new(),
            execution_time: 1,
            success,
        }
    }

    #[test]
    fn an_edited_delta_gets_its_new_checksum_and_a_repaired_one_is_applied() {
        let rows = vec![
            row(1, "1.0.0", "baseline", 0, "", true),
            row(2, "1.0.1", "edited", 8, "old", true),
        ];
        let found = vec![delta("1.0.1", "edited", "new")];
        let planned = plan(&rows, &found, &RepairRequest::default()).unwrap();
        assert_eq!(
            planned.changes,
            [Change::RecordChecksum {
                file: "deltas/delta_1.0.1_edited.sql".into(),
                version: "1.0.1".into(),
                old_checksum: "old".into(),
                new_checksum: "new".into(),
            }]
        );
        let mut repaired = rows.clone();
        repaired.push(row(3, "1.0.1", "edited", 8, "new", true));
        let again = plan(&repaired, &found, &RepairRequest::default()).unwrap();
        assert!(again.changes.is_empty(), "{:?}", again.changes);
    }

    #[test]
    fn failed_rows_go_and_missing_files_are_only_forgotten_when_asked() {
        let rows = vec![
            row(1, "1.0.0", "baseline", 0, "", true),
            row(2, "1.0.1", "broken", 8, "x", false),
            row(3, "1.0.2", "gone", 8, "y", true),
        ];
        let kept = plan(&rows, &[], &RepairRequest::default()).unwrap();
        assert_eq!(kept.changes.len(), 1);
        assert!(matches!(
            kept.changes[0],
            Change::RemoveFailed { id: 2, .. }
        ));
        assert!(kept.warnings[0].contains("row 3"), "{:?}", kept.warnings);
        let req = RepairRequest {
            forget_missing: true,
            ..Default::default()
        };
        let forgotten = plan(&rows, &[], &req).unwrap();
        assert!(matches!(forgotten.changes[1], Change::Forget { id: 3, .. }));
        assert_eq!(forgotten.version_after.as_deref(), Some("1.0.0"));
        assert!(forgotten.warnings[0].contains("goes down from 1.0.2 to 1.0.0"));
    }

    #[test]
    fn only_a_pending_delta_can_be_marked_applied() {
        let rows = vec![
            row(1, "1.0.0", "baseline", 0, "", true),
            row(2, "1.0.1", "done", 8, "a", true),
        ];
        let found = vec![delta("1.0.1", "done", "a"), delta("1.0.2", "by_hand", "b")];
        let mark = |file: &str| RepairRequest {
            mark_applied: vec![file.into()],
            ..Default::default()
        };
        let planned = plan(&rows, &found, &mark("delta_1.0.2_by_hand.sql")).unwrap();
        assert_eq!(planned.version_after.as_deref(), Some("1.0.2"));
        assert!(
            matches!(&planned.changes[0], Change::MarkApplied { checksum: Some(c), .. } if c == "b")
        );
        let err = plan(&rows, &found, &mark("delta_1.0.1_done.sql")).unwrap_err();
        assert!(err.to_string().contains("is applied, not pending"), "{err}");
        let err = plan(&rows, &found, &mark("nowhere.sql")).unwrap_err();
        assert!(err.to_string().contains("not a delta file"), "{err}");
    }
}
