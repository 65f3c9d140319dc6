//! Application hooks of a pum 1.x module (`application:`, also spelt
//! `migration_hooks:`): `drop` (alias `pre`) runs before the changelogs,
//! `create` (alias `post`) after them, on every install and upgrade, as
//! pum 1.x runs them. Each hook is inline SQL (`code:`) or a file (`file:`,
//! relative to the module directory). SQL runs as changelog SQL does:
//! comments removed as pum 1.x removes them, parameters substituted. Python
//! hook files are not run by this tool: a module that has one is refused
//! unless the hooks of that kind are skipped, so an application is never
//! dropped without being created again.

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

/// A hook ready to run: where it comes from (for messages), its SQL as it
/// runs, and the way back to the lines of its file.
#[derive(Debug, Clone)]
pub struct PreparedHook {
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
        Ok(AppHooks {
            drop: raw.drop.iter().map(hook).collect::<Result<_>>()?,
            create: raw.create.iter().map(hook).collect::<Result<_>>()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.drop.is_empty() && self.create.is_empty()
    }
}

/// The hooks of one kind ready to run, in order; `kind` ("drop", "create")
/// and `skip` (the flag that leaves them out) name them in messages.
pub fn prepare(
    hooks: &[AppHook],
    params: &Resolved,
    config: &Path,
    kind: &str,
    skip: &str,
) -> Result<Vec<PreparedHook>> {
    hooks
        .iter()
        .map(|h| {
            let (origin, text) = match h {
                AppHook::Code(code) => (config.to_path_buf(), code.clone()),
                AppHook::Sql(file) => {
                    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
                    (file.clone(), crate::deltas::decode_sql(file, bytes)?)
                }
                AppHook::Python(file) => {
                    return Err(Error::Usage(format!(
                    "{}: Python application hooks are not run by this tool; nothing was applied \
                         ({skip} leaves out the {kind} hooks)",
                    file.display()
                )))
                }
            };
            let stripped = comments::strip(&text);
            let sql = params::substitute(&stripped.text, params)
                .map_err(|why| Error::Deltas(format!("{}:{why}", origin.display())))?;
            Ok(PreparedHook {
                origin,
                text,
                sql,
                stripped,
            })
        })
        .collect()
}
