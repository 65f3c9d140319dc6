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
    /// Whether the file has top-level BEGIN/COMMIT and so cannot be applied
    /// atomically with its history row.
    pub manages_transaction: bool,
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
}

impl Discovered {
    pub fn needs_python(&self) -> bool {
        self.deltas.iter().any(|d| d.kind.is_python())
            || self.pre_all.iter().chain(&self.post_all).any(|h| h.python)
    }

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
/// delta but carries a malformed version (`delta_01.2.3.sql`).
pub fn parse_file_name(
    name: &str,
) -> std::result::Result<Option<(Version, String, DeltaKind)>, String> {
    let Some(caps) = name_pattern().captures(name) else {
        return Ok(None);
    };
    let version = Version::parse(&caps[1])?;
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
                Ok(Some((version, description, kind))) => in_dir.push(load_delta(
                    path,
                    name,
                    version,
                    description,
                    kind,
                    dir_index,
                )?),
                Ok(None) => {}
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
    let manages_transaction = sql.as_deref().is_some_and(sql_lexer::manages_transaction);
    Ok(Delta {
        path,
        file_name: name.to_string(),
        version,
        description,
        kind,
        checksum,
        sql,
        manages_transaction,
        dir_index,
    })
}

/// SQL files must be UTF-8; a byte order mark is dropped, a NUL byte refused
/// (the server would cut the text there).
fn decode_sql(path: &Path, bytes: Vec<u8>) -> Result<String> {
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
        assert!(parse_file_name("delta_01.2.3.sql").is_err());
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
