//! Delta files: finding them, parsing their names (exactly pum 0.x's rules),
//! ordering, checksums and variables. Nothing here touches the database.

pub mod plan;
pub mod sql_lexer;
pub mod vars;
mod version;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use md5::{Digest, Md5};
use regex::Regex;

pub use version::Version;

use crate::error::{Error, Result};

/// What a delta file is, with the type number pum 0.x stores for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeltaKind {
    PrePython,
    PreSql,
    Python,
    Sql,
    PostPython,
    PostSql,
}

impl DeltaKind {
    /// The `type` column value (pum 0.x bit flags: pre 1, post 2, py 4, sql 8).
    pub fn type_code(self) -> i32 {
        match self {
            DeltaKind::PrePython => 5,
            DeltaKind::PreSql => 9,
            DeltaKind::Python => 4,
            DeltaKind::Sql => 8,
            DeltaKind::PostPython => 6,
            DeltaKind::PostSql => 10,
        }
    }

    pub fn from_type_code(code: i32) -> Option<DeltaKind> {
        Some(match code {
            5 => DeltaKind::PrePython,
            9 => DeltaKind::PreSql,
            4 => DeltaKind::Python,
            8 => DeltaKind::Sql,
            6 => DeltaKind::PostPython,
            10 => DeltaKind::PostSql,
            _ => return None,
        })
    }

    fn from_extension(ext: &str) -> DeltaKind {
        match ext {
            "pre.py" => DeltaKind::PrePython,
            "pre.sql" => DeltaKind::PreSql,
            "py" => DeltaKind::Python,
            "sql" => DeltaKind::Sql,
            "post.py" => DeltaKind::PostPython,
            _ => DeltaKind::PostSql,
        }
    }

    /// pre (1) < plain (2) < post (3), as pum 0.x sorts.
    pub fn phase(self) -> u8 {
        match self {
            DeltaKind::PrePython | DeltaKind::PreSql => 1,
            DeltaKind::Python | DeltaKind::Sql => 2,
            DeltaKind::PostPython | DeltaKind::PostSql => 3,
        }
    }

    pub fn is_python(self) -> bool {
        matches!(
            self,
            DeltaKind::PrePython | DeltaKind::Python | DeltaKind::PostPython
        )
    }

    /// The label pum 0.x prints (`pre sql`, `delta py`...).
    pub fn label(self) -> &'static str {
        match self {
            DeltaKind::PrePython => "pre py",
            DeltaKind::PreSql => "pre sql",
            DeltaKind::Python => "delta py",
            DeltaKind::Sql => "delta sql",
            DeltaKind::PostPython => "post py",
            DeltaKind::PostSql => "post sql",
        }
    }
}

/// Label of a type number found in the upgrades table.
pub fn type_label(code: i32) -> String {
    match code {
        0 => "baseline".into(),
        other => DeltaKind::from_type_code(other)
            .map(|k| k.label().to_string())
            .unwrap_or_else(|| format!("type {other}")),
    }
}

/// One delta file, loaded: its identity, checksum and text.
#[derive(Debug, Clone)]
pub struct Delta {
    pub path: PathBuf,
    pub file_name: String,
    pub version: Version,
    /// The name part after the version (`add_x` in `delta_1.2.0_add_x.sql`); may be empty.
    pub description: String,
    pub kind: DeltaKind,
    /// MD5 hex of the file's bytes, as pum 0.x records it.
    pub checksum: String,
    /// The file's text with a UTF-8 byte order mark removed (SQL deltas only).
    pub sql: Option<String>,
    /// How the delta is applied (atomically with its history row or not).
    pub mode: TxMode,
    /// Position of the directory among the delta directories.
    pub dir_index: usize,
}

impl Delta {
    /// Order inside one directory: version, phase, name, then .py before .sql.
    fn sort_key(&self) -> (&Version, u8, &str, bool) {
        (
            &self.version,
            self.kind.phase(),
            &self.description,
            !self.kind.is_python(),
        )
    }

    /// The `script` value recorded in the upgrades table (truncated to fit).
    pub fn script(&self) -> String {
        self.path.display().to_string().chars().take(1000).collect()
    }
}

/// How a delta is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TxMode {
    /// The delta and its history row commit in one transaction.
    Atomic,
    /// The file has its own top-level BEGIN/COMMIT: applied as pum 0.x
    /// applies it, its history row recorded right after.
    SelfManaged,
    /// First line `-- pum:no-transaction`: statement by statement in
    /// autocommit (CREATE INDEX CONCURRENTLY, VACUUM...).
    NoTransaction,
    /// A Python delta: it makes its own connections.
    Python,
}

impl TxMode {
    pub fn is_atomic(self) -> bool {
        self == TxMode::Atomic
    }

    pub fn label(self) -> &'static str {
        match self {
            TxMode::Atomic => "transaction",
            TxMode::SelfManaged => "own transaction",
            TxMode::NoTransaction => "no transaction",
            TxMode::Python => "python",
        }
    }
}

/// The marker that makes a delta run outside a transaction.
pub const NO_TRANSACTION_MARKER: &str = "-- pum:no-transaction";

fn has_no_transaction_marker(text: &str) -> bool {
    text.lines()
        .next()
        .is_some_and(|l| l.trim_end().eq_ignore_ascii_case(NO_TRANSACTION_MARKER))
}

/// A pre-all or post-all script, run on every upgrade and never recorded.
#[derive(Debug, Clone)]
pub struct Hook {
    pub path: PathBuf,
    pub python: bool,
    pub sql: Option<String>,
}

/// Everything found in the delta directories.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    pub dirs: Vec<PathBuf>,
    /// Deltas in application order.
    pub deltas: Vec<Delta>,
    /// pre-all scripts in the order they run.
    pub pre_all: Vec<Hook>,
    /// post-all scripts in the order they run.
    pub post_all: Vec<Hook>,
    /// Files named like a delta (`delta_*.sql`, `delta_*.py`) whose name
    /// does not parse (`delta_1.2.sql`, `delta_v1.2.3.sql`): skipped, as pum
    /// 0.x skips them, but worth a warning since they were surely meant to run.
    pub ignored: Vec<PathBuf>,
    /// Deltas whose file name writes the version with leading zeros
    /// (`delta_01.2.3.sql`): applied and recorded as the plain version, as
    /// pum 0.x does, with a warning since the name says it differently.
    pub padded: Vec<(PathBuf, Version)>,
}

impl Discovered {
    /// One warning per skipped look-alike file and per version written with
    /// leading zeros.
    pub fn ignored_warnings(&self) -> Vec<String> {
        let skipped = self.ignored.iter().map(|p| {
            format!(
                "ignoring {}: not a delta name (expected delta_MAJOR.MINOR.PATCH[_name].sql, \
                 .pre.sql, .post.sql, .py, .pre.py or .post.py)",
                p.display()
            )
        });
        let padded = self.padded.iter().map(|(p, v)| {
            format!(
                "{}: version written with leading zeros; it is version {v} (as pum 0.x reads it) \
                 and is recorded so",
                p.display()
            )
        });
        skipped.chain(padded).collect()
    }
}

impl Discovered {
    /// The newest delta version, if any delta was found.
    pub fn newest_version(&self) -> Option<&Version> {
        self.deltas.iter().map(|d| &d.version).max()
    }
}

fn name_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^delta_(\d+\.\d+\.\d+)(_*)(\w*)\.(pre\.sql|sql|post\.sql|pre\.py|py|post\.py)$",
        )
        .expect("valid delta name pattern")
    })
}

/// Parses a delta file name into (version, description, kind); `Ok(None)`
/// for a file that is not a delta at all, an error for one that looks like a
/// delta but carries a version out of range. Leading zeros are read as pum
/// 0.x reads them: `delta_100.002.9999_x.sql` is version 100.2.9999.
pub fn parse_file_name(
    name: &str,
) -> std::result::Result<Option<(Version, String, DeltaKind)>, String> {
    let Some(caps) = name_pattern().captures(name) else {
        return Ok(None);
    };
    let (version, _) = Version::parse_delta(&caps[1])?;
    Ok(Some((
        version,
        caps[3].to_string(),
        DeltaKind::from_extension(&caps[4]),
    )))
}

/// Finds and loads every delta in `dirs` (in the order given).
pub fn discover(dirs: &[PathBuf]) -> Result<Discovered> {
    let mut found = Discovered {
        dirs: dirs.to_vec(),
        ..Default::default()
    };
    for (dir_index, dir) in dirs.iter().enumerate() {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::Deltas(format!("delta directory {}: {e}", dir.display())))?;
        let mut names: Vec<String> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let is_file = entry
                .file_type()
                .map(|t| t.is_file() || t.is_symlink())
                .unwrap_or(false)
                && entry.path().is_file();
            if !is_file {
                continue;
            }
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        names.sort();
        let mut in_dir = Vec::new();
        for name in &names {
            let path = dir.join(name);
            match parse_file_name(name) {
                Ok(Some((version, description, kind))) => {
                    if !name.starts_with(&format!("delta_{version}")) {
                        found.padded.push((path.clone(), version.clone()));
                    }
                    in_dir.push(load_delta(
                        path,
                        name,
                        version,
                        description,
                        kind,
                        dir_index,
                    )?)
                }
                Ok(None) => {
                    let lower = name.to_ascii_lowercase();
                    if lower.starts_with("delta_")
                        && (lower.ends_with(".sql") || lower.ends_with(".py"))
                    {
                        found.ignored.push(path);
                    }
                }
                Err(why) => return Err(Error::Deltas(format!("{}: {why}", path.display()))),
            }
        }
        check_duplicates(&in_dir, dir)?;
        in_dir.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        found.deltas.extend(in_dir);
    }
    // pre-all: directories in reverse order, .py before .sql; post-all in order.
    for dir in dirs.iter().rev() {
        found.pre_all.extend(load_hooks(dir, "pre-all")?);
    }
    for dir in dirs {
        found.post_all.extend(load_hooks(dir, "post-all")?);
    }
    Ok(found)
}

fn load_delta(
    path: PathBuf,
    name: &str,
    version: Version,
    description: String,
    kind: DeltaKind,
    dir_index: usize,
) -> Result<Delta> {
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let checksum = format!("{:x}", Md5::digest(&bytes));
    let sql = if kind.is_python() {
        None
    } else {
        Some(decode_sql(&path, bytes)?)
    };
    let mode = match sql.as_deref() {
        None => TxMode::Python,
        Some(text) if has_no_transaction_marker(text) => TxMode::NoTransaction,
        Some(text) if sql_lexer::manages_transaction(text) => TxMode::SelfManaged,
        Some(_) => TxMode::Atomic,
    };
    Ok(Delta {
        path,
        file_name: name.to_string(),
        version,
        description,
        kind,
        checksum,
        sql,
        mode,
        dir_index,
    })
}

/// SQL files must be UTF-8; a byte order mark is dropped, a NUL byte refused
/// (the server would cut the text there).
pub(crate) fn decode_sql(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, col) = sql_lexer::line_col(
            std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or(""),
            offset,
        );
        Error::Deltas(format!(
            "{}:{line}:{col}: not valid UTF-8 (byte {offset}); save the file as UTF-8",
            path.display()
        ))
    })?;
    if let Some(pos) = text.find('\0') {
        let (line, col) = sql_lexer::line_col(&text, pos);
        return Err(Error::Deltas(format!(
            "{}:{line}:{col}: contains a NUL byte",
            path.display()
        )));
    }
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text))
}

fn check_duplicates(deltas: &[Delta], dir: &Path) -> Result<()> {
    let mut seen: HashMap<(&Version, &str, i32), &str> = HashMap::new();
    for d in deltas {
        // delta_1.0.0_x.sql and delta_1.0.0__x.sql have the same identity.
        if let Some(other) = seen.insert(
            (&d.version, &d.description, d.kind.type_code()),
            &d.file_name,
        ) {
            return Err(Error::Deltas(format!(
                "{}: {} and {} are the same delta (version {}, name {:?}, {}); rename one",
                dir.display(),
                other,
                d.file_name,
                d.version,
                d.description,
                d.kind.label()
            )));
        }
    }
    Ok(())
}

fn load_hooks(dir: &Path, stem: &str) -> Result<Vec<Hook>> {
    let mut hooks = Vec::new();
    for (ext, python) in [("py", true), ("sql", false)] {
        let path = dir.join(format!("{stem}.{ext}"));
        if path.is_file() {
            let sql = if python {
                None
            } else {
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                Some(decode_sql(&path, bytes)?)
            };
            hooks.push(Hook { path, python, sql });
        }
    }
    Ok(hooks)
}

impl PartialOrd for DeltaKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DeltaKind {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.phase(), !self.is_python()).cmp(&(other.phase(), !other.is_python()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_like_pum_0x() {
        let (v, name, kind) = parse_file_name("delta_1.2.0_add_x.sql").unwrap().unwrap();
        assert_eq!(
            (v.to_string(), name.as_str(), kind),
            ("1.2.0".into(), "add_x", DeltaKind::Sql)
        );
        let (_, name, kind) = parse_file_name("delta_1.0.0.pre.py").unwrap().unwrap();
        assert_eq!((name.as_str(), kind), ("", DeltaKind::PrePython));
        let (_, name, _) = parse_file_name("delta_1.0.0__two.post.sql")
            .unwrap()
            .unwrap();
        assert_eq!(name, "two");
        for ignored in [
            "README.md",
            "__init__.py",
            "baseline-0.5.0.sql",
            "delta_1.0.0.sql.post",
            "delta_1.0.sql",
            "pre-all.sql",
            "delta_1.0.0_a-b.sql",
        ] {
            assert!(parse_file_name(ignored).unwrap().is_none(), "{ignored}");
        }
        // Leading zeros are pum 0.x's version (its own tests assert this one).
        let (v, name, kind) = parse_file_name("delta_100.002.9999_17072017.post.sql")
            .unwrap()
            .unwrap();
        assert_eq!(
            (v.to_string(), name.as_str(), kind),
            ("100.2.9999".into(), "17072017", DeltaKind::PostSql)
        );
        assert!(parse_file_name("delta_99999999999999999999.0.0.sql").is_err());
    }

    #[test]
    fn padded_versions_are_warned_about_and_may_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("delta_01.2.3_x.sql"), "").unwrap();
        std::fs::write(dir.path().join("delta_1.2.4_y.sql"), "").unwrap();
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.deltas[0].version.to_string(), "1.2.3");
        let warnings = found.ignored_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("delta_01.2.3_x.sql"), "{warnings:?}");
        assert!(warnings[0].contains("version 1.2.3"), "{warnings:?}");
        // Two spellings of one version, name and type are one delta twice.
        std::fs::write(dir.path().join("delta_1.02.3_x.sql"), "").unwrap();
        let err = discover(&[dir.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("delta_01.2.3_x.sql"), "{err}");
        assert!(err.contains("delta_1.02.3_x.sql"), "{err}");
        assert!(err.contains("are the same delta"), "{err}");
    }

    #[test]
    fn discovers_in_pum_order_and_skips_other_files() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "delta_0.10.0_b.sql",
            "delta_0.5.0_z.post.sql",
            "delta_0.5.0_a.sql",
            "delta_0.5.0_a.pre.sql",
            "delta_0.15.2.sql",
            "README.md",
            "pre-all.sql",
            "pre-all.py",
            "post-all.sql",
        ] {
            std::fs::write(dir.path().join(f), "SELECT 1;").unwrap();
        }
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<&str> = found.deltas.iter().map(|d| d.file_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "delta_0.5.0_a.pre.sql",
                "delta_0.5.0_a.sql",
                "delta_0.5.0_z.post.sql",
                "delta_0.10.0_b.sql",
                "delta_0.15.2.sql"
            ]
        );
        assert_eq!(found.pre_all.len(), 2);
        assert!(found.pre_all[0].python);
        assert_eq!(found.post_all.len(), 1);
        assert_eq!(
            found.deltas[1].checksum,
            format!("{:x}", Md5::digest(b"SELECT 1;"))
        );
    }

    #[test]
    fn transaction_modes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("delta_1.0.1_a.sql"), "CREATE TABLE a ();").unwrap();
        std::fs::write(
            dir.path().join("delta_1.0.2_b.sql"),
            "BEGIN;\nCREATE TABLE b ();\nCOMMIT;",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("delta_1.0.3_c.sql"),
            "-- pum:no-transaction\nCREATE INDEX CONCURRENTLY i ON a (x);",
        )
        .unwrap();
        std::fs::write(dir.path().join("delta_1.0.4_d.py"), "").unwrap();
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        let modes: Vec<TxMode> = found.deltas.iter().map(|d| d.mode).collect();
        assert_eq!(
            modes,
            [
                TxMode::Atomic,
                TxMode::SelfManaged,
                TxMode::NoTransaction,
                TxMode::Python
            ]
        );
    }

    #[test]
    fn rejects_duplicates_and_bad_encodings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("delta_1.0.0_x.sql"), "").unwrap();
        std::fs::write(dir.path().join("delta_1.0.0__x.sql"), "").unwrap();
        let err = discover(&[dir.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("are the same delta"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("delta_1.0.0_x.sql"),
            b"SELECT 1;\nSELECT '\xff';",
        )
        .unwrap();
        let err = discover(&[dir.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("delta_1.0.0_x.sql:2:9: not valid UTF-8"),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("delta_1.0.0_x.sql"),
            "\u{feff}SELECT 1;\r\n",
        )
        .unwrap();
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.deltas[0].sql.as_deref(), Some("SELECT 1;\r\n"));

        let err = discover(&[dir.path().join("missing")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("delta directory "), "{err}");
    }
}

/// Turns a free-text description into the name part of a delta file
/// (`Add pipe owner` → `add_pipe_owner`).
pub fn slug(description: &str) -> String {
    let mut out = String::new();
    for c in description.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Creates the next delta file in `dir` and returns its path. The version
/// defaults to the next patch after the newest delta there (1.0.0 in an
/// empty directory). Never overwrites.
pub fn create_delta_file(
    dir: &Path,
    description: &str,
    version: Option<Version>,
) -> Result<PathBuf> {
    let name = slug(description);
    if name.is_empty() {
        return Err(Error::Usage(format!(
            "description {description:?} has no letters or digits to name the file with"
        )));
    }
    let version = match version {
        Some(v) => v,
        None => {
            let found = discover(&[dir.to_path_buf()])?;
            found
                .newest_version()
                .map(Version::next_patch)
                .unwrap_or_else(|| Version::parse("1.0.0").expect("valid version"))
        }
    };
    let path = dir.join(format!("delta_{version}_{name}.sql"));
    let header = format!(
        "-- {version}: {}\n-- Runs in one transaction with its history row. Put\n-- \"{NO_TRANSACTION_MARKER}\" on the first line for statements that cannot\n-- (CREATE INDEX CONCURRENTLY, VACUUM).\n\n",
        // One comment line: a line break in the description would
        // otherwise start a line of live SQL in the new delta.
        description
            .split(|c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    std::io::Write::write_all(&mut file, header.as_bytes()).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

#[cfg(test)]
mod new_file_tests {
    use super::*;

    #[test]
    fn a_multi_line_description_stays_a_comment() {
        let dir = tempfile::tempdir().unwrap();
        let path =
            create_delta_file(dir.path(), "fix x\nDROP TABLE users;\r\u{2028}--", None).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("-- 1.0.0: fix x DROP TABLE users; --\n"),
            "{text}"
        );
        assert!(
            text.lines().all(|l| l.is_empty() || l.starts_with("--")),
            "{text}"
        );
    }

    #[test]
    fn next_patch_version_and_slug() {
        let dir = tempfile::tempdir().unwrap();
        let first = create_delta_file(dir.path(), "Initial model", None).unwrap();
        assert!(first.ends_with("delta_1.0.0_initial_model.sql"));
        std::fs::write(dir.path().join("delta_1.4.9_x.sql"), "").unwrap();
        let next = create_delta_file(dir.path(), "Add pipe owner!", None).unwrap();
        assert!(next.ends_with("delta_1.4.10_add_pipe_owner.sql"));
        assert!(parse_file_name(next.file_name().unwrap().to_str().unwrap())
            .unwrap()
            .is_some());
        let pinned =
            create_delta_file(dir.path(), "x", Some(Version::parse("2.0.0").unwrap())).unwrap();
        assert!(pinned.ends_with("delta_2.0.0_x.sql"));
        assert!(
            create_delta_file(dir.path(), "x", Some(Version::parse("2.0.0").unwrap())).is_err()
        );
        assert!(create_delta_file(dir.path(), "!!!", None).is_err());
    }
}
