//! One model of a versioned project, whichever layout it has on disk: pum
//! 0.x delta directories with an upgrades table, or a pum 1.x module with
//! `pum_migrations`. The layout is detected once; every command and the
//! rehearsal then ask the project for its state, apply it with the one
//! runner, baseline it or ask for its newest version, without caring which
//! layout it is.

pub mod deltas;
pub mod module;
pub mod module_hooks;
mod module_runs;
mod module_version;

use std::path::PathBuf;

use postgres::Client;

use crate::db::QualifiedName;
use crate::deltas::vars::Variables;
use crate::error::Result;
use crate::module::ModuleRequest;
use crate::output::Printer;
use crate::runner::{self, RunOptions, UpgradeReport};
use crate::service::ConnParams;

pub use deltas::DeltaProject;

/// What gets applied: pum 0.x delta directories or a pum 1.x module.
#[derive(Clone)]
pub enum Project {
    Deltas {
        project: DeltaProject,
        options: RunOptions,
    },
    Module {
        dir: PathBuf,
        request: ModuleRequest,
    },
}

impl Project {
    /// The module directory among `dirs`: exactly one directory holding a
    /// `.pum.yaml`. `None` means the pum 0.x delta layout.
    pub fn module_dir(dirs: &[PathBuf]) -> Option<PathBuf> {
        match dirs {
            [dir] if dir.join(crate::module::config::FILE_NAME).is_file() => Some(dir.clone()),
            _ => None,
        }
    }

    pub fn options(&self) -> &RunOptions {
        match self {
            Project::Deltas { options, .. } => options,
            Project::Module { request, .. } => &request.options,
        }
    }

    /// The recorded version and the names of what is pending; drift is
    /// warned about (or refused with `--strict`).
    pub fn state(
        &self,
        client: &mut Client,
        params: &ConnParams,
        printer: &Printer,
    ) -> Result<(Option<String>, Vec<String>)> {
        match self {
            Project::Deltas { project, options } => {
                crate::history::require(client, &project.table, &params.target())?;
                let plan = deltas::pending(client, project)?;
                deltas::check_drift(&plan, options.strict_checksums, printer)?;
                Ok((
                    plan.current.as_ref().map(ToString::to_string),
                    plan.deltas.iter().map(|d| d.file_name.clone()).collect(),
                ))
            }
            Project::Module { dir, request } => {
                crate::module::state(client, params, dir, request, printer)
            }
        }
    }

    /// The version the history records, read without planning (no drift
    /// warnings, nothing loaded but the history table's name).
    pub fn recorded_version(&self, client: &mut Client) -> Result<Option<String>> {
        match self {
            Project::Deltas { project, .. } => Ok(deltas::pending(client, project)?
                .current
                .map(|v| v.to_string())),
            Project::Module { dir, .. } => {
                let table = crate::module::config::ModuleConfig::load(dir)?.migrations_table();
                let rows = crate::module::migrations::read(client, &table)?;
                Ok(crate::module::plan::current_version(&rows).map(|v| v.to_string()))
            }
        }
    }

    /// Applies what is pending with the runner. `service_name` is what the
    /// user called the database (handed to Python hooks).
    pub fn upgrade(
        &self,
        client: &mut Client,
        params: &ConnParams,
        service_name: Option<&str>,
        printer: &Printer,
    ) -> Result<UpgradeReport> {
        match self {
            Project::Deltas { project, options } => {
                runner::run(client, project, params, service_name, options, printer)
            }
            Project::Module { dir, request } => {
                module::upgrade(client, params, dir, request, printer)
            }
        }
    }

    /// The same project, its runs measuring each unit (locks, rewrites,
    /// WAL) into the report.
    pub fn measured(&self) -> Project {
        match self {
            Project::Deltas { project, options } => Project::Deltas {
                project: project.clone(),
                options: RunOptions {
                    measure: true,
                    ..options.clone()
                },
            },
            Project::Module { dir, request } => {
                let mut request = request.clone();
                request.options.measure = true;
                Project::Module {
                    dir: dir.clone(),
                    request,
                }
            }
        }
    }

    /// The pum 0.x upgrades table, whose version a dump's manifest records.
    pub fn upgrades_table(&self) -> Option<QualifiedName> {
        match self {
            Project::Deltas { project, .. } => Some(project.table.clone()),
            Project::Module { .. } => None,
        }
    }

    /// The variables SQL scripts of the project are written with.
    pub fn variables(&self) -> Variables {
        match self {
            Project::Deltas { project, .. } => project.variables.clone(),
            Project::Module { .. } => Variables::new(),
        }
    }

    /// What one unit is called, for `n` of them: "delta(s)", "version(s)".
    pub fn units(&self, n: usize) -> &'static str {
        match (self, n) {
            (Project::Module { .. }, 1) => "version",
            (Project::Module { .. }, _) => "versions",
            (_, 1) => "delta",
            _ => "deltas",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_dir_is_one_dir_with_a_pum_yaml() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        assert_eq!(Project::module_dir(std::slice::from_ref(&dir)), None);
        std::fs::write(
            dir.join(crate::module::config::FILE_NAME),
            "pum:\n  module: m\n",
        )
        .unwrap();
        assert_eq!(
            Project::module_dir(std::slice::from_ref(&dir)),
            Some(dir.clone())
        );
        assert_eq!(Project::module_dir(&[dir.clone(), dir.join("x")]), None);
        assert_eq!(Project::module_dir(&[]), None);
    }
}
