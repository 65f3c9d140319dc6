//! `pum.yaml`: the project's configuration file. Keys of pum 0.x plus pum's
//! own; unknown keys and wrong types are errors with file, line and column.
//! Relative paths in it are relative to the file's own directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Location, Result};

/// The default configuration file name, looked for in the current directory.
pub const DEFAULT_FILE: &str = "pum.yaml";

/// The contents of pum.yaml. Every key is optional; flags override them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Upgrades table, e.g. `public.pum_upgrades`.
    pub upgrades_table: Option<String>,
    /// One delta directory (pum 0.x).
    pub delta_dir: Option<PathBuf>,
    /// Several delta directories, applied in this order.
    pub delta_dirs: Option<Vec<PathBuf>>,
    /// Where test-and-upgrade writes the production dump.
    pub backup_file: Option<PathBuf>,
    /// Object kinds `check` ignores.
    pub ignore_elements: Option<Vec<String>>,
    /// The pg_dump program.
    pub pg_dump_exe: Option<PathBuf>,
    /// The pg_restore program.
    pub pg_restore_exe: Option<PathBuf>,
    /// Variables substituted into deltas as `%(NAME)s`.
    pub variables: Option<BTreeMap<String, VariableValue>>,
    /// How long a run waits for another run's lock (`60s`, `2min`, seconds as a number).
    pub run_lock_timeout: Option<DurationValue>,
    /// The server's `lock_timeout` for each delta (`5s` by default, `0` for none).
    pub lock_timeout: Option<DurationValue>,
    /// The server's `statement_timeout` for each delta (none by default).
    pub statement_timeout: Option<DurationValue>,
    /// How often a delta that hit `lock_timeout` is tried again.
    pub retries: Option<u32>,
    /// What to do when an applied delta's file changed since: `warn` or `fail`.
    pub on_checksum_change: Option<OnChecksumChange>,
    /// Per-service settings, keyed by service name (pg_service.conf).
    pub services: Option<BTreeMap<String, ServiceSettings>>,
    /// Limits test-and-upgrade's rehearsal must stay within.
    pub rehearsal: Option<RehearsalConfig>,
    /// `pum export`: query results written as CSV files.
    pub export: Option<TransferConfig<ExportTable>>,
    /// `pum import`: CSV files loaded into tables.
    pub import: Option<TransferConfig<ImportTable>>,
    /// `pum verify-backups`: the databases whose backups are proven.
    pub verify: Option<VerifyConfig>,
    /// The file this configuration was read from (for messages).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// `export:` or `import:` in pum.yaml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferConfig<T> {
    /// Service name, URI or conninfo string.
    pub service: Option<String>,
    /// A directory (relative to pum.yaml) or, later, `s3://bucket/prefix`.
    pub location: String,
    /// The manifest table, e.g. `public.pum_transfers`.
    pub manifest: String,
    /// The tables (or globs), in the order they are worked through.
    pub tables: Ordered<T>,
}

/// A YAML mapping that keeps the order it was written in.
#[derive(Debug, Clone)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping of table names to their settings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out: Vec<(String, T)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, T>()? {
                    if out.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format!(
                            "table {key} is listed twice"
                        )));
                    }
                    out.push((key, value));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// One table of `export.tables`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportTable {
    /// The query whose rows are written; `{table}` is the quoted table name.
    pub query: String,
}

/// One table of `import.tables`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportTable {
    /// Which file is loaded (default: the newest).
    pub strategy: Option<ImportStrategy>,
    /// This file of the table's folder (with `strategy: use_filename`).
    pub file: Option<String>,
    /// Empty the table first, in the load's transaction.
    #[serde(default)]
    pub truncate: bool,
}

/// How `pum import` picks a table's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStrategy {
    /// The newest `<timestamp>.csv`.
    UseLatestFilename,
    /// The file named by `file:`.
    UseFilename,
}

/// `verify:` in pum.yaml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    pub databases: Vec<VerifyDatabase>,
}

/// One database of `verify.databases`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyDatabase {
    /// Service name, URI or conninfo string.
    pub service: String,
    /// Listed, not verified.
    #[serde(default)]
    pub skip: bool,
}

/// `rehearsal:` in pum.yaml: the gate of test-and-upgrade (flags override).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RehearsalConfig {
    /// Longest a delta may hold `max_lock_from` or stronger on an existing
    /// relation.
    pub max_lock: Option<DurationValue>,
    /// The weakest lock mode `max_lock` and the relation rules limit
    /// (ShareRowExclusiveLock by default).
    pub max_lock_from: Option<String>,
    /// Limits for one lock mode each, over `max_lock`.
    pub max_lock_by_mode: Option<BTreeMap<String, DurationValue>>,
    /// Limits for relations matching a `schema.table` pattern (`*`, `?`),
    /// over the mode limits.
    pub max_lock_by_relation: Option<BTreeMap<String, DurationValue>>,
    /// Longest a delta may run.
    pub max_delta_duration: Option<DurationValue>,
    /// How production is copied for the rehearsal (`--copy`).
    pub copy: Option<CopyMethod>,
}

/// How test-and-upgrade copies production (`--copy`, `rehearsal.copy`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum CopyMethod {
    /// pg_dump | pg_restore into a test database.
    #[default]
    Logical,
    /// pg_basebackup of production's cluster, started as a private server.
    Physical,
}

impl RehearsalConfig {
    /// `--max-delta-duration` over `rehearsal.max_delta_duration`.
    pub fn max_delta_duration(
        config: Option<&RehearsalConfig>,
        flag: Option<&str>,
    ) -> Result<Option<std::time::Duration>> {
        match flag {
            Some(text) => parse_duration(text)
                .map(Some)
                .map_err(|why| Error::Usage(format!("--max-delta-duration: {why}"))),
            None => config
                .and_then(|c| c.max_delta_duration.as_ref())
                .map(|v| v.resolve("rehearsal.max_delta_duration"))
                .transpose(),
        }
    }
}

/// A YAML error as `file:line:column: message` (serde_yaml appends the
/// position to its message itself; it is already in front).
pub fn yaml_error(e: &serde_yaml::Error, path: &Path) -> Error {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    Error::Config {
        location: Location {
            file: path.to_path_buf(),
            line,
            column,
        },
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or("")
            .to_string(),
    }
}

/// A duration in pum.yaml: a number of seconds or a string with a unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum DurationValue {
    Seconds(f64),
    Text(String),
}

impl DurationValue {
    /// The duration; `key` names the setting in errors.
    pub fn resolve(&self, key: &str) -> Result<std::time::Duration> {
        let text = match self {
            DurationValue::Seconds(s) => format!("{s}s"),
            DurationValue::Text(t) => t.clone(),
        };
        parse_duration(&text).map_err(|why| Error::Settings(format!("{key} in pum.yaml: {why}")))
    }
}

/// `warn` (default) or `fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnChecksumChange {
    Warn,
    Fail,
}

/// Parses `500ms`, `5s`, `2min`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> std::result::Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {text:?} (examples: 500ms, 5s, 2min, 1h)"))?;
    let factor = match unit.trim() {
        "ms" => 0.001,
        "" | "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "invalid duration unit {other:?} in {text:?} (use ms, s, min or h)"
            ))
        }
    };
    std::time::Duration::try_from_secs_f64(value * factor)
        .map_err(|_| format!("invalid duration {text:?}"))
}

/// Settings of one service in pum.yaml's `services:` map.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// `false` makes `pum restore` refuse this service whatever the flags
    /// (production databases). Default: allowed.
    pub allow_restore: Option<bool>,
}

/// A variable's value in pum.yaml: YAML numbers become SQL numbers, strings SQL literals.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum VariableValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

impl Config {
    /// Loads `path`, or `pum.yaml` in the current directory when no path was
    /// given (a missing default file is fine, a missing named one is not).
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_FILE), false),
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default())
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let valid = std::str::from_utf8(valid).unwrap_or_default();
            let (line, column) = crate::deltas::sql_lexer::line_col(valid, valid.len());
            Error::Config {
                location: Location {
                    file: path.clone(),
                    line,
                    column,
                },
                message: format!(
                    "not valid UTF-8 (byte {}); save the file as UTF-8",
                    valid.len()
                ),
            }
        })?;
        let mut config = Self::parse(&text, &path)?;
        config.file = Some(path.clone());
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        config.rebase(&base);
        Ok(config)
    }

    /// Parses the YAML text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        // YAML refuses these too, but without saying where.
        if let Some((at, c)) = text
            .char_indices()
            .find(|&(_, c)| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            let (line, column) = crate::deltas::sql_lexer::line_col(text, at);
            return Err(Error::Config {
                location: Location {
                    file: path.to_path_buf(),
                    line,
                    column,
                },
                message: format!("control character U+{:04X} is not allowed", c as u32),
            });
        }
        serde_yaml::from_str(text).map_err(|e| yaml_error(&e, path))
    }

    fn rebase(&mut self, base: &Path) {
        let join = |p: &mut PathBuf| {
            if p.is_relative() && !base.as_os_str().is_empty() {
                *p = base.join(&*p);
            }
        };
        if let Some(d) = self.delta_dir.as_mut() {
            join(d)
        }
        for d in self.delta_dirs.iter_mut().flatten() {
            join(d)
        }
        if let Some(b) = self.backup_file.as_mut() {
            join(b)
        }
        // A location with a scheme (`s3://`) is not a path.
        let locations = [
            self.export.as_mut().map(|e| &mut e.location),
            self.import.as_mut().map(|i| &mut i.location),
        ];
        for location in locations.into_iter().flatten() {
            if !location.contains("://") {
                let mut path = PathBuf::from(&*location);
                join(&mut path);
                *location = path.to_string_lossy().into_owned();
            }
        }
        // A bare program name (`pg_dump`) is looked up on PATH; only a path
        // with a directory part is relative to this file.
        for exe in [self.pg_dump_exe.as_mut(), self.pg_restore_exe.as_mut()]
            .into_iter()
            .flatten()
        {
            if exe.components().count() > 1 {
                join(exe)
            }
        }
    }

    /// Whether `pum restore` may write into the service named `name`
    /// (`services.NAME.allow_restore`, default true).
    pub fn allows_restore(&self, name: &str) -> bool {
        self.services
            .as_ref()
            .and_then(|s| s.get(name))
            .and_then(|s| s.allow_restore)
            .unwrap_or(true)
    }

    /// The services marked `allow_restore: false`, in name order.
    pub fn restore_protected_services(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .services
            .iter()
            .flatten()
            .filter(|(_, s)| s.allow_restore == Some(false))
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// The configured delta directories (`delta_dirs` wins over `delta_dir`).
    pub fn delta_dirs(&self) -> Vec<PathBuf> {
        match (&self.delta_dirs, &self.delta_dir) {
            (Some(dirs), _) => dirs.clone(),
            (None, Some(dir)) => vec![dir.clone()],
            (None, None) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_line_and_column() {
        let text = "upgrades_table: a.b\n  \ndelta_dri: x\n";
        let err = Config::parse(text, Path::new("pum.yaml")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("pum.yaml:3:1: unknown field `delta_dri`"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        let err = Config::parse("delta_dirs: 3\n", Path::new("p.yaml")).unwrap_err();
        assert!(err.to_string().starts_with("p.yaml:1:"), "{err}");
    }

    #[test]
    fn example_file_parses_with_every_key() {
        let text = include_str!("../pum.yaml.example");
        let config = Config::parse(text, Path::new("pum.yaml.example")).unwrap();
        assert!(config.upgrades_table.is_some());
        assert!(config.delta_dirs.is_some());
        assert!(config.backup_file.is_some());
        assert!(config.ignore_elements.is_some());
        assert!(config.pg_dump_exe.is_some());
        assert!(config.pg_restore_exe.is_some());
        assert!(config.variables.is_some());
        assert!(config.run_lock_timeout.is_some());
        assert!(config.lock_timeout.is_some());
        assert!(config.statement_timeout.is_some());
        assert!(config.retries.is_some());
        assert!(config.rehearsal.is_some());
        assert!(config.on_checksum_change.is_some());
        assert!(config.services.is_some());
        let export = config.export.unwrap();
        assert_eq!(export.tables.0[1].0, "public.s*");
        let import = config.import.unwrap();
        assert!(import.tables.0[0].1.truncate);
        assert_eq!(config.verify.unwrap().databases.len(), 2);
    }

    #[test]
    fn a_table_listed_twice_is_an_error() {
        let text = "export:\n  location: x\n  manifest: m\n  tables:\n    a: {query: q}\n    a: {query: r}\n";
        let err = Config::parse(text, Path::new("p.yaml")).unwrap_err();
        assert!(err.to_string().starts_with("p.yaml:"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap().as_millis(), 5000);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert_eq!(parse_duration("2min").unwrap().as_secs(), 120);
        assert_eq!(parse_duration("1.5").unwrap().as_millis(), 1500);
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        let c = Config::parse("lock_timeout: 2s\nrun_lock_timeout: 30\n", Path::new("p")).unwrap();
        assert_eq!(
            c.lock_timeout
                .unwrap()
                .resolve("lock_timeout")
                .unwrap()
                .as_secs(),
            2
        );
        assert_eq!(
            c.run_lock_timeout.unwrap().resolve("x").unwrap().as_secs(),
            30
        );
    }

    #[test]
    fn services_allow_restore_defaults_to_true() {
        let c = Config::parse(
            "services:\n  prod:\n    allow_restore: false\n  test: {}\n",
            Path::new("p"),
        )
        .unwrap();
        assert!(!c.allows_restore("prod"));
        assert!(c.allows_restore("test"));
        assert!(c.allows_restore("other"));
        let err = Config::parse(
            "services:\n  prod:\n    allow_restor: false\n",
            Path::new("p"),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `allow_restor`"),
            "{err}"
        );
    }

    #[test]
    fn variables_keep_their_yaml_type() {
        let c = Config::parse("variables:\n  SRID: 2056\n  NAME: x\n", Path::new("p")).unwrap();
        let v = c.variables.unwrap();
        assert_eq!(v["SRID"], VariableValue::Int(2056));
        assert_eq!(v["NAME"], VariableValue::Text("x".into()));
    }

    #[test]
    fn the_rehearsal_gate_takes_flags_over_pum_yaml() {
        let c = Config::parse(
            "rehearsal:\n  max_lock: 2s\n  max_delta_duration: 90\n",
            Path::new("p.yaml"),
        )
        .unwrap();
        let max_lock = crate::rehearsal::lock_limits::LockLimits::resolve(
            c.rehearsal.as_ref(),
            Some("500ms"),
            None,
        )
        .unwrap();
        assert_eq!(
            max_lock.default,
            Some(std::time::Duration::from_millis(500))
        );
        let max_delta = RehearsalConfig::max_delta_duration(c.rehearsal.as_ref(), None).unwrap();
        assert_eq!(max_delta, Some(std::time::Duration::from_secs(90)));
        let err = crate::rehearsal::lock_limits::LockLimits::resolve(None, Some("soon"), None)
            .unwrap_err();
        assert!(err.to_string().contains("--max-lock"), "{err}");
        assert!(Config::parse("rehearsal:\n  max_locks: 2s\n", Path::new("p.yaml")).is_err());
        let c = Config::parse("rehearsal:\n  copy: physical\n", Path::new("p.yaml")).unwrap();
        assert_eq!(c.rehearsal.unwrap().copy, Some(CopyMethod::Physical));
        assert!(Config::parse("rehearsal:\n  copy: rsync\n", Path::new("p.yaml")).is_err());
    }
}
