//! Application hooks of a pum 1.x module (`application:`, also spelt
//! `migration_hooks:`): `drop` (alias `pre`) runs before the changelogs,
//! `create` (alias `post`) after them, on every install and upgrade, as
//! pum 1.x runs them. Each hook is inline SQL (`code:`) or a file (`file:`,
//! relative to the module directory). SQL runs as changelog SQL does:
//! comments removed as pum 1.x removes them, parameters substituted. Python
//! hook files (`.py`) run through [`crate::module::python_hook`], inside the
//! same transaction. `uninstall:` is a list of hooks of the same kinds.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value as Yaml;

use super::comments::{self, Stripped};
use super::params::{self, Resolved};
use crate::error::{Error, Result};

/// One hook as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

/// The `application:` section as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    #[serde(default, alias = "pre")]
    drop: Vec<RawHook>,
    #[serde(default, alias = "post")]
    create: Vec<RawHook>,
}

/// A hook, checked.
#[derive(Debug, Clone)]
pub enum AppHook {
    Code(String),
    Sql(PathBuf),
    Python(PathBuf),
}

#[derive(Debug, Clone, Default)]
pub struct AppHooks {
    pub drop: Vec<AppHook>,
    pub create: Vec<AppHook>,
}

/// A hook ready to run.
#[derive(Debug, Clone)]
pub enum PreparedHook {
    Sql(SqlHook),
    /// A Python hook file, run by the run's [`crate::module::python_hook::PythonHooks`].
    Python(PathBuf),
}

/// SQL ready to run: where it comes from (for messages), its SQL as it
/// runs, and the way back to the lines of its file.
#[derive(Debug, Clone)]
pub struct SqlHook {
    pub origin: PathBuf,
    pub text: String,
    pub sql: String,
    pub stripped: Stripped,
}

impl AppHooks {
    /// Reads `application:` (`section`) of the `.pum.yaml` at `path`.
    pub fn parse(section: Option<&Yaml>, path: &Path, dir: &Path) -> Result<AppHooks> {
        let Some(section) = section else {
            return Ok(AppHooks::default());
        };
        let bad =
            |what: String| Error::Settings(format!("{}: application: {what}", path.display()));
        let raw: RawApplication =
            serde_yaml::from_value(section.clone()).map_err(|e| bad(e.to_string()))?;
        Ok(AppHooks {
            drop: checked(&raw.drop, dir, &bad)?,
            create: checked(&raw.create, dir, &bad)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.drop.is_empty() && self.create.is_empty()
    }
}

/// Reads `uninstall:` (a list of hooks) of the `.pum.yaml` at `path`.
pub fn parse_uninstall(section: Option<&Yaml>, path: &Path, dir: &Path) -> Result<Vec<AppHook>> {
    let Some(section) = section else {
        return Ok(Vec::new());
    };
    let bad = |what: String| Error::Settings(format!("{}: uninstall: {what}", path.display()));
    let raw: Vec<RawHook> =
        serde_yaml::from_value(section.clone()).map_err(|e| bad(e.to_string()))?;
    checked(&raw, dir, &bad)
}

/// The Python hook files among `hooks`.
pub fn python_files<'a>(hooks: impl IntoIterator<Item = &'a AppHook>) -> Vec<PathBuf> {
    hooks
        .into_iter()
        .filter_map(|h| match h {
            AppHook::Python(file) => Some(file.clone()),
            _ => None,
        })
        .collect()
}

/// Each hook as written, checked: exactly one of `file` and `code`, the
/// file there and of a kind that runs.
fn checked(raw: &[RawHook], dir: &Path, bad: &dyn Fn(String) -> Error) -> Result<Vec<AppHook>> {
    let hook = |h: &RawHook| -> Result<AppHook> {
        match (&h.file, &h.code) {
            (Some(file), None) => {
                let file = dir.join(file);
                if !file.is_file() {
                    return Err(bad(format!("hook file {} not found", file.display())));
                }
                match file.extension().and_then(|e| e.to_str()) {
                    Some("sql") => Ok(AppHook::Sql(file)),
                    Some("py") => Ok(AppHook::Python(file)),
                    _ => Err(bad(format!(
                        "hook file {}: only .sql and .py files are hooks",
                        file.display()
                    ))),
                }
            }
            (None, Some(code)) => Ok(AppHook::Code(code.clone())),
            _ => Err(bad("each hook has exactly one of `file` and `code`".into())),
        }
    };
    raw.iter().map(hook).collect()
}

/// The hooks of one kind ready to run, in order.
pub fn prepare(hooks: &[AppHook], params: &Resolved, config: &Path) -> Result<Vec<PreparedHook>> {
    hooks
        .iter()
        .map(|h| {
            let (origin, text) = match h {
                AppHook::Code(code) => (config.to_path_buf(), code.clone()),
                AppHook::Sql(file) => {
                    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
                    (file.clone(), crate::deltas::decode_sql(file, bytes)?)
                }
                AppHook::Python(file) => return Ok(PreparedHook::Python(file.clone())),
            };
            let stripped = comments::strip(&text);
            let sql = params::substitute(&stripped.text, params)
                .map_err(|why| Error::Deltas(format!("{}:{why}", origin.display())))?;
            Ok(PreparedHook::Sql(SqlHook {
                origin,
                text,
                sql,
                stripped,
            }))
        })
        .collect()
}

/// The parameters changelogs may use: all but the `app_only` ones, which
/// pum 1.x keeps for application hooks (they may change between runs).
pub fn changelog_params(params: &Resolved, app_only: &[&str]) -> Resolved {
    params
        .iter()
        .filter(|(name, _)| !app_only.contains(&name.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A changelog's substitution error, said plainly when it is an `app_only`
/// parameter that the changelog uses.
pub fn changelog_param_error(file: &Path, why: String, app_only: &[&str]) -> Error {
    let used = app_only
        .iter()
        .find(|name| why.contains(&format!("parameter {:?} is not defined", name)));
    match used {
        Some(name) => Error::Deltas(format!(
            "{}: uses the app_only parameter {name:?}: app_only parameters are for application \
             hooks only (pum 1.x refuses them in changelogs too); nothing was applied",
            file.display()
        )),
        None => Error::Deltas(format!("{}:{why}", file.display())),
    }
}
