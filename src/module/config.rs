//! `.pum.yaml`: the configuration file of a pum 1.x module directory.
//! Unknown keys are errors with file, line and column, as pum 1.x rejects
//! them too. `dependencies:` is read to name a missing Python package when a
//! hook cannot import it (this tool installs nothing itself).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value as Yaml;

use crate::error::{Error, Result};
pub use crate::module::params::ParameterDef;

/// The configuration file name inside a module directory.
pub const FILE_NAME: &str = ".pum.yaml";

/// The `pum:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PumSection {
    /// The module's name, recorded in every `pum_migrations` row.
    pub module: String,
    /// Schema of the `pum_migrations` table (pum 1.x default: `public`).
    #[serde(default)]
    pub migration_table_schema: Option<String>,
    /// Minimum pum 1.x version; meaningless for this tool, so only warned about.
    #[serde(default)]
    pub minimum_version: Option<Yaml>,
}

/// A permission of a role: read or write on some schemas.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionDef {
    #[serde(rename = "type")]
    pub kind: PermissionKind,
    #[serde(default)]
    pub schemas: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionKind {
    Read,
    Write,
}

/// One entry of `roles:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<PermissionDef>,
    /// A role defined earlier in the list that this role becomes a member of.
    #[serde(default)]
    pub inherit: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// The file as written; see [`ModuleConfig`] for the checked form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    pum: PumSection,
    #[serde(default)]
    parameters: Option<Vec<ParameterDef>>,
    #[serde(default)]
    changelogs_directory: Option<String>,
    #[serde(default)]
    roles: Option<Vec<RoleDef>>,
    #[serde(default)]
    application: Option<Yaml>,
    #[serde(default)]
    migration_hooks: Option<Yaml>,
    #[serde(default)]
    demo_data: Option<Yaml>,
    #[serde(default)]
    dependencies: Option<Vec<DependencyDef>>,
    #[serde(default)]
    uninstall: Option<Yaml>,
}

/// One entry of `dependencies:`: a Python package the hooks import.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DependencyDef {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    minimum_version: Option<Yaml>,
    #[serde(default)]
    #[allow(dead_code)]
    maximum_version: Option<Yaml>,
}

/// One entry of `demo_data:` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDataDef {
    name: String,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    files: Option<Vec<String>>,
}

/// The demo data sets, each with its files (relative to the module
/// directory), checked as pum 1.x checks them: exactly one of `file` and
/// `files`, and every file there.
fn demo_sets(
    section: Option<&Yaml>,
    path: &Path,
    dir: &Path,
) -> Result<Vec<(String, Vec<PathBuf>)>> {
    let Some(section) = section else {
        return Ok(Vec::new());
    };
    let bad = |what: String| Error::Settings(format!("{}: demo_data: {what}", path.display()));
    let defs: Vec<DemoDataDef> =
        serde_yaml::from_value(section.clone()).map_err(|e| bad(e.to_string()))?;
    defs.into_iter()
        .map(|d| {
            let files = match (d.file, d.files) {
                (Some(f), None) => vec![f],
                (None, Some(fs)) if !fs.is_empty() => fs,
                _ => {
                    return Err(bad(format!(
                        "{}: give exactly one of `file` and `files`",
                        d.name
                    )))
                }
            };
            let files: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
            if let Some(missing) = files.iter().find(|f| !f.is_file()) {
                return Err(bad(format!("{}: {} not found", d.name, missing.display())));
            }
            Ok((d.name, files))
        })
        .collect()
}

/// pum 1.x refuses a module that asks for a newer pum than itself; this
/// tool does what pum 1.x 1.9.2 does, so that is the version compared.
fn check_minimum_version(minimum: Option<&Yaml>, path: &Path) -> Result<()> {
    let Some(minimum) = minimum else {
        return Ok(());
    };
    let text = match minimum {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        other => {
            return Err(Error::Settings(format!(
                "{}: pum.minimum_version must be a version, not {other:?}",
                path.display()
            )))
        }
    };
    // Compared as numbers (1.10 after 1.9), as pum 1.x compares versions.
    let parse = |t: &str| crate::deltas::Version::parse_recorded(t);
    let wanted = parse(&text).ok_or_else(|| {
        Error::Settings(format!(
            "{}: pum.minimum_version: {text:?} is not a version",
            path.display()
        ))
    })?;
    let ours = parse(crate::module::migrations::PUM1_RELEASE).expect("a valid version");
    if wanted > ours {
        return Err(Error::Settings(format!(
            "{}: pum.minimum_version is {text}, but this tool does what pum {} does; nothing was changed",
            path.display(),
            crate::module::migrations::PUM1_RELEASE
        )));
    }
    Ok(())
}

/// A loaded and checked `.pum.yaml`.
#[derive(Debug, Clone)]
pub struct ModuleConfig {
    /// The module directory as the user named it (paths recorded in
    /// `pum_migrations` are built from it, as pum 1.x builds them).
    pub dir: PathBuf,
    pub module: String,
    pub migration_table_schema: String,
    pub changelogs_directory: String,
    pub parameters: Vec<ParameterDef>,
    pub roles: Vec<RoleDef>,
    /// `application:` (or `migration_hooks:`): drop and create hooks.
    pub app_hooks: crate::module::app_hooks::AppHooks,
    /// `demo_data:`: named sets of SQL files, loaded by `install --demo-data NAME`.
    pub demo_data: Vec<(String, Vec<PathBuf>)>,
    /// `uninstall:`: the hooks `pum uninstall` runs.
    pub uninstall: Vec<crate::module::app_hooks::AppHook>,
    /// `dependencies:`: names of the Python packages the hooks need.
    pub dependencies: Vec<String>,
}

impl ModuleConfig {
    /// Loads `DIR/.pum.yaml`.
    pub fn load(dir: &Path) -> Result<ModuleConfig> {
        let path = dir.join(FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        Self::parse(&text, &path, dir)
    }

    /// Parses the text of a `.pum.yaml`; `path` names it in errors.
    pub fn parse(text: &str, path: &Path, dir: &Path) -> Result<ModuleConfig> {
        let raw: RawConfig =
            serde_yaml::from_str(text).map_err(|e| crate::config::yaml_error(&e, path))?;
        if raw.application.is_some() && raw.migration_hooks.is_some() {
            return Err(Error::Settings(format!(
                "{}: `application` and `migration_hooks` are the same section; keep one",
                path.display()
            )));
        }
        let app_hooks = crate::module::app_hooks::AppHooks::parse(
            raw.application.as_ref().or(raw.migration_hooks.as_ref()),
            path,
            dir,
        )?;
        let demo_data = demo_sets(raw.demo_data.as_ref(), path, dir)?;
        let uninstall =
            crate::module::app_hooks::parse_uninstall(raw.uninstall.as_ref(), path, dir)?;
        let dependencies = raw
            .dependencies
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.name)
            .collect();
        check_minimum_version(raw.pum.minimum_version.as_ref(), path)?;
        let config = ModuleConfig {
            dir: dir.to_path_buf(),
            module: raw.pum.module,
            migration_table_schema: raw
                .pum
                .migration_table_schema
                .unwrap_or_else(|| "public".into()),
            changelogs_directory: raw
                .changelogs_directory
                .unwrap_or_else(|| "changelogs".into()),
            parameters: raw.parameters.unwrap_or_default(),
            roles: raw.roles.unwrap_or_default(),
            app_hooks,
            demo_data,
            uninstall,
            dependencies,
        };
        config.check(path)?;
        Ok(config)
    }

    /// The checks pum 1.x makes when it loads the file (or later, at the
    /// first use), made here up front so a bad file fails before anything runs.
    fn check(&self, path: &Path) -> Result<()> {
        let bad = |what: String| Error::Settings(format!("{}: {what}", path.display()));
        if self.module.trim().is_empty() {
            return Err(bad("pum.module must not be empty".into()));
        }
        if self.migration_table_schema.is_empty() {
            return Err(bad("pum.migration_table_schema must not be empty".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for p in &self.parameters {
            if !seen.insert(p.name.as_str()) {
                return Err(bad(format!("parameter {:?} is defined twice", p.name)));
            }
            crate::module::params::check_definition(p).map_err(bad)?;
        }
        let mut earlier: Vec<&str> = Vec::new();
        for r in &self.roles {
            if let Some(parent) = &r.inherit {
                if !earlier.contains(&parent.as_str()) {
                    return Err(bad(format!(
                        "role {:?} inherits {parent:?}, which is not defined before it in roles",
                        r.name
                    )));
                }
            }
            if r.permissions.iter().any(|p| p.schemas.is_empty()) {
                return Err(bad(format!(
                    "role {:?} has a permission without schemas",
                    r.name
                )));
            }
            earlier.push(&r.name);
        }
        Ok(())
    }

    /// `SCHEMA.pum_migrations`.
    pub fn migrations_table(&self) -> crate::db::QualifiedName {
        crate::db::QualifiedName {
            schema: Some(self.migration_table_schema.clone()),
            name: crate::module::migrations::TABLE_NAME.into(),
        }
    }

    /// Names of the parameters that may change between runs.
    pub fn app_only_parameters(&self) -> Vec<&str> {
        self.parameters
            .iter()
            .filter(|p| p.app_only)
            .map(|p| p.name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ModuleConfig> {
        ModuleConfig::parse(text, Path::new("m/.pum.yaml"), Path::new("m"))
    }

    #[test]
    fn full_file_with_defaults() {
        let c = parse(
            "pum:\n  module: tww\nparameters:\n  - name: SRID\n    type: integer\n    default: 2056\n  - name: label\n    description: x\nroles:\n  - name: viewer\n    permissions:\n      - type: read\n        schemas: [tww_od]\n  - name: user\n    inherit: viewer\n    permissions:\n      - type: write\n        schemas: [tww_od]\n",
        )
        .unwrap();
        assert_eq!(c.module, "tww");
        assert_eq!(c.migration_table_schema, "public");
        assert_eq!(c.changelogs_directory, "changelogs");
        assert_eq!(c.parameters.len(), 2);
        assert_eq!(c.parameters[1].kind, crate::module::params::ParamType::Text);
        assert_eq!(c.roles[1].inherit.as_deref(), Some("viewer"));
        assert_eq!(c.roles[1].permissions[0].kind, PermissionKind::Write);
        assert_eq!(
            c.migrations_table().quoted(),
            "\"public\".\"pum_migrations\""
        );
    }

    #[test]
    fn unknown_keys_name_line_and_column() {
        let err = parse("pum:\n  module: m\nchangelog_directory: x\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("m/.pum.yaml:3:1: unknown field `changelog_directory`"),
            "{err}"
        );
        let err = parse("pum:\n  module: m\n  schema: s\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("m/.pum.yaml:3:3: pum: unknown field `schema`"),
            "{err}"
        );
        let err =
            parse("pum:\n  module: m\nparameters:\n  - name: a\n    typ: text\n").unwrap_err();
        assert!(err.to_string().starts_with("m/.pum.yaml:5:5:"), "{err}");
        let err =
            parse("pum:\n  module: m\nparameters:\n  - name: a\n    type: float\n").unwrap_err();
        assert!(err.to_string().contains("unknown variant `float`"), "{err}");
    }

    #[test]
    fn hooks_uninstall_and_dependencies_are_read() {
        let c = parse(
            "pum:\n  module: m\n  minimum_version: 1.2.0\napplication:\n  create:\n    - code: CREATE VIEW v AS SELECT 1\ndependencies:\n  - name: pirogue\n    minimum_version: 3.0.0\nuninstall:\n  - code: DROP SCHEMA x\n",
        )
        .unwrap();
        assert_eq!(c.app_hooks.create.len(), 1);
        assert_eq!(c.uninstall.len(), 1);
        assert_eq!(c.dependencies, ["pirogue"]);
        let err = parse("pum:\n  module: m\nuninstall:\n  - file: gone.sql\n").unwrap_err();
        assert!(err.to_string().contains("uninstall: hook file"), "{err}");
    }

    #[test]
    fn semantic_errors_name_the_culprit() {
        let err = parse("pum:\n  module: m\nroles:\n  - name: u\n    inherit: v\n").unwrap_err();
        assert!(
            err.to_string().contains("role \"u\" inherits \"v\""),
            "{err}"
        );
        let err = parse(
            "pum:\n  module: m\nparameters:\n  - name: n\n    type: integer\n    default: abc\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("parameter \"n\""), "{err}");
        let err = parse("pum:\n  module: m\nparameters:\n  - name: n\n  - name: n\n").unwrap_err();
        assert!(err.to_string().contains("defined twice"), "{err}");
        assert!(parse("parameters: []\n").is_err());
    }
}
