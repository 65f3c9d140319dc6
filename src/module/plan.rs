//! Planning for modules: the `pum_migrations` rows × the changelogs found ×
//! the target → each version's status, and the checks pum 1.x makes before
//! it upgrades (same module, not in beta testing, parameters unchanged).
//! Pure, so it is unit-tested without a database.

use serde::Serialize;

use crate::module::changelog::{Changelog, ModuleVersion};
use crate::module::migrations::MigrationRow;
use crate::module::params::{same_value, Resolved};

/// Where a changelog stands relative to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// A row records this version.
    Applied,
    /// Will run on the next upgrade.
    Pending,
    /// Not recorded, but older than the database's version (a baseline
    /// covers it): never runs.
    BelowBaseline,
    /// Would be pending, but is newer than `--max-version`.
    AboveMaxVersion,
}

impl VersionStatus {
    pub fn label(self) -> &'static str {
        match self {
            VersionStatus::Applied => "applied",
            VersionStatus::Pending => "pending",
            VersionStatus::BelowBaseline => "below baseline",
            VersionStatus::AboveMaxVersion => "above max version",
        }
    }
}

/// The highest recorded version, by version order (pum 1.x orders the
/// column as text and so takes 1.9.0 for newer than 1.10.0).
pub fn current_version(rows: &[MigrationRow]) -> Option<ModuleVersion> {
    rows.iter()
        .filter_map(|r| ModuleVersion::parse_recorded(&r.version))
        .max()
}

/// The row of the current version (the latest one written, on ties).
pub fn latest_row(rows: &[MigrationRow]) -> Option<&MigrationRow> {
    let current = current_version(rows)?;
    rows.iter()
        .rev()
        .find(|r| same_version(&current, &r.version))
}

/// Whether a recorded version text is `version`.
pub fn same_version(version: &ModuleVersion, recorded: &str) -> bool {
    ModuleVersion::parse_recorded(recorded).as_ref() == Some(version)
}

/// The status of each changelog (same order as `changelogs`).
pub fn statuses(
    rows: &[MigrationRow],
    changelogs: &[Changelog],
    max_version: Option<&ModuleVersion>,
) -> Vec<VersionStatus> {
    let current = current_version(rows);
    changelogs
        .iter()
        .map(|c| {
            let recorded = rows.iter().any(|r| same_version(&c.version, &r.version));
            if recorded {
                VersionStatus::Applied
            } else if current.as_ref().is_some_and(|cur| &c.version <= cur) {
                VersionStatus::BelowBaseline
            } else if max_version.is_some_and(|m| &c.version > m) {
                VersionStatus::AboveMaxVersion
            } else {
                VersionStatus::Pending
            }
        })
        .collect()
}

/// Refuses what pum 1.x refuses before an upgrade: a database holding another
/// module, one installed in beta testing, or a non-`app_only` parameter whose
/// value differs from the one recorded with the current version.
pub fn check_before_upgrade(
    rows: &[MigrationRow],
    module: &str,
    params: &Resolved,
    app_only: &[&str],
) -> Result<(), String> {
    let Some(latest) = latest_row(rows) else {
        return Ok(());
    };
    if !latest.module.is_empty() && latest.module != module {
        return Err(format!(
            "the database holds module {:?} but .pum.yaml defines module {module:?}; is this the right module directory?",
            latest.module
        ));
    }
    if let Some(recorded) = latest.parameters.as_object() {
        for (name, value) in params {
            if app_only.contains(&name.as_str()) {
                continue;
            }
            if let Some(before) = recorded.get(name) {
                if !same_value(before, value) {
                    return Err(format!(
                        "parameter {name} is {value} but version {} was installed with {before}; \
                         parameters that are not app_only must keep their value (pass --parameter {name} {})",
                        latest.version,
                        before.as_str().map(str::to_string).unwrap_or_else(|| before.to_string())
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(version: &str, params: serde_json::Value) -> MigrationRow {
        MigrationRow {
            id: String::new(),
            date_installed: String::new(),
            module: "m".into(),
            version: version.into(),
            beta_testing: false,
            changelog_files: Vec::new(),
            parameters: params,
            migration_table_version: "3".into(),
            pum_version: None,
        }
    }

    fn changelog(v: &str) -> Changelog {
        Changelog {
            version: ModuleVersion::parse(v).unwrap(),
            dir: v.into(),
            files: Vec::new(),
            app_only: true,
        }
    }

    #[test]
    fn current_version_is_numeric_not_text() {
        let rows = vec![row("1.9.0", json!({})), row("1.10.0", json!({}))];
        assert_eq!(current_version(&rows).unwrap().to_string(), "1.10.0");
        assert_eq!(latest_row(&rows).unwrap().version, "1.10.0");
    }

    #[test]
    fn statuses_after_a_baseline() {
        let rows = vec![row("1.9.0", json!({}))];
        let logs = vec![
            changelog("1.0.0"),
            changelog("1.9.0"),
            changelog("1.10.0"),
            changelog("2.0.0"),
        ];
        let max = ModuleVersion::parse("1.10").unwrap();
        assert_eq!(
            statuses(&rows, &logs, Some(&max)),
            [
                VersionStatus::BelowBaseline,
                VersionStatus::Applied,
                VersionStatus::Pending,
                VersionStatus::AboveMaxVersion
            ]
        );
        assert_eq!(statuses(&[], &logs, None), [VersionStatus::Pending; 4]);
    }

    #[test]
    fn checks_module_and_parameters() {
        let rows = vec![row("1.0.0", json!({"SRID": 2056, "lang": "fr"}))];
        let mut p = Resolved::new();
        p.insert("SRID".into(), json!(2056.0));
        p.insert("lang".into(), json!("de"));
        let err = check_before_upgrade(&rows, "m", &p, &[]).unwrap_err();
        assert!(
            err.contains("parameter lang is \"de\"") && err.contains("--parameter lang fr"),
            "{err}"
        );
        assert!(check_before_upgrade(&rows, "m", &p, &["lang"]).is_ok());
        let err = check_before_upgrade(&rows, "other", &p, &["lang"]).unwrap_err();
        assert!(err.contains("holds module \"m\""), "{err}");
        // A beta testing install is refused by the project (it honours --force).
        let mut beta = rows.clone();
        beta[0].beta_testing = true;
        assert!(check_before_upgrade(&beta, "m", &p, &["lang"]).is_ok());
        assert!(check_before_upgrade(&[], "m", &p, &[]).is_ok());
    }
}
