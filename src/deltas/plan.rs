//! Planning: the applied rows × the deltas found × the target → what each
//! delta's status is and what to run, in order. Pure, so it is unit-tested
//! without a database.

use serde::Serialize;

use super::{Delta, Version};

/// One row of the upgrades table, as planning needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRow {
    pub version: String,
    pub description: String,
    pub type_code: i32,
    pub checksum: String,
    pub success: bool,
}

/// Where a delta stands relative to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded as applied, and the file is unchanged.
    Applied,
    /// Recorded as applied, but the file's checksum differs from the recorded one.
    ChangedSinceApplied,
    /// Will run on the next upgrade.
    Pending,
    /// Not applied, but older than the database's version (the baseline or a
    /// later delta already covers it): never runs.
    BelowBaseline,
    /// Would be pending, but is newer than `--max-version`.
    AboveMaxVersion,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::ChangedSinceApplied => "changed since applied",
            Status::Pending => "pending",
            Status::BelowBaseline => "below baseline",
            Status::AboveMaxVersion => "above max version",
        }
    }
}

/// The highest successful version in the table, compared as versions (not
/// as text: 0.15.2 > 0.8.1). `None` when the table holds no usable row.
pub fn current_version(rows: &[AppliedRow]) -> Option<Version> {
    rows.iter()
        .filter(|r| r.success)
        .filter_map(|r| Version::parse_recorded(&r.version))
        .max()
}

/// The status of every delta found (same order as `deltas`).
pub fn statuses(
    rows: &[AppliedRow],
    deltas: &[Delta],
    current: Option<&Version>,
    max_version: Option<&Version>,
) -> Vec<Status> {
    deltas
        .iter()
        .map(|d| {
            let mut recorded = records_of(rows, d).peekable();
            let found = recorded.peek().is_some();
            if recorded.any(|r| r.checksum == d.checksum) {
                Status::Applied
            } else if found {
                Status::ChangedSinceApplied
            } else if current.is_some_and(|c| &d.version < c) {
                Status::BelowBaseline
            } else if max_version.is_some_and(|m| &d.version > m) {
                Status::AboveMaxVersion
            } else {
                Status::Pending
            }
        })
        .collect()
}

/// The successful rows recording `delta` (same version, name and type), in
/// table order. More than one when `pum repair` recorded a new checksum: the
/// delta counts as applied when any of them has the file's checksum, as pum
/// 0.x decides it.
pub fn records_of<'a>(
    rows: &'a [AppliedRow],
    delta: &'a Delta,
) -> impl Iterator<Item = &'a AppliedRow> {
    rows.iter().filter(move |r| r.records(delta))
}

impl AppliedRow {
    /// Whether this successful row records `delta`.
    pub fn records(&self, delta: &Delta) -> bool {
        self.success
            && self.type_code == delta.kind.type_code()
            && self.description == delta.description
            && Version::parse_recorded(&self.version).as_ref() == Some(&delta.version)
    }
}

/// Rows recorded as applied deltas whose file is not among `deltas` (moved,
/// renamed or deleted since).
pub fn missing_on_disk<'a>(rows: &'a [AppliedRow], deltas: &[Delta]) -> Vec<&'a AppliedRow> {
    rows.iter()
        .filter(|r| r.success && r.type_code != 0)
        .filter(|r| !deltas.iter().any(|d| r.records(d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deltas::DeltaKind;

    fn delta(version: &str, name: &str, kind: DeltaKind, checksum: &str) -> Delta {
        Delta {
            path: format!("deltas/delta_{version}_{name}.sql").into(),
            file_name: format!("delta_{version}_{name}.sql"),
            version: Version::parse(version).unwrap(),
            description: name.into(),
            kind,
            checksum: checksum.into(),
            sql: Some(String::new()),
            mode: crate::deltas::TxMode::Atomic,
            dir_index: 0,
        }
    }

    fn row(version: &str, name: &str, type_code: i32, checksum: &str) -> AppliedRow {
        AppliedRow {
            version: version.into(),
            description: name.into(),
            type_code,
            checksum: checksum.into(),
            success: true,
        }
    }

    #[test]
    fn baseline_version_deltas_still_run() {
        let rows = vec![row("0.5.0", "baseline", 0, "")];
        let deltas = vec![
            delta("0.4.0", "old", DeltaKind::Sql, "a"),
            delta("0.5.0", "same", DeltaKind::Sql, "b"),
            delta("0.6.0", "new", DeltaKind::Sql, "c"),
        ];
        let current = current_version(&rows);
        let s = statuses(&rows, &deltas, current.as_ref(), None);
        assert_eq!(s, [Status::BelowBaseline, Status::Pending, Status::Pending]);
    }

    #[test]
    fn applied_changed_and_max_version() {
        let rows = vec![
            row("0.5.0", "baseline", 0, ""),
            row("0.6.0", "new", 8, "c"),
            row("0.7.0", "edited", 8, "old"),
        ];
        let deltas = vec![
            delta("0.6.0", "new", DeltaKind::Sql, "c"),
            delta("0.6.0", "new", DeltaKind::PostSql, "d"),
            delta("0.7.0", "edited", DeltaKind::Sql, "new"),
            delta("0.8.0", "later", DeltaKind::Sql, "e"),
            delta("0.9.0", "beyond", DeltaKind::Sql, "f"),
        ];
        let current = current_version(&rows).unwrap();
        assert_eq!(current.to_string(), "0.7.0");
        let max = Version::parse("0.8.0").unwrap();
        let s = statuses(&rows, &deltas, Some(&current), Some(&max));
        assert_eq!(
            s,
            [
                Status::Applied,
                Status::BelowBaseline,
                Status::ChangedSinceApplied,
                Status::Pending,
                Status::AboveMaxVersion
            ]
        );
    }

    #[test]
    fn current_version_is_numeric_and_ignores_failures() {
        let mut rows = vec![row("0.8.1", "a", 8, ""), row("0.15.2", "b", 8, "")];
        rows.push(AppliedRow {
            success: false,
            ..row("9.0.0", "c", 8, "")
        });
        assert_eq!(current_version(&rows).unwrap().to_string(), "0.15.2");
    }

    #[test]
    fn rows_without_files_are_found() {
        let rows = vec![
            row("0.5.0", "baseline", 0, ""),
            row("0.6.0", "gone", 8, "x"),
        ];
        let missing = missing_on_disk(&rows, &[]);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].description, "gone");
    }
}
