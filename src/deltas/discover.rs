//! Finding delta files in the delta directories and loading them: names
//! parsed with pum 0.x's one pattern, UTF-8 checked, checksums computed,
//! duplicates, look-alikes and dangling links reported, pre-all/post-all
//! hooks collected.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use md5::{Digest, Md5};
use regex::Regex;

use super::kind::has_no_transaction_marker;
use super::{sql_lexer, Delta, DeltaKind, Discovered, Hook, TxMode, Version};
use crate::error::{Error, Result};

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
    check_distinct_dirs(dirs)?;
    for (dir_index, dir) in dirs.iter().enumerate() {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::Deltas(format!("delta directory {}: {e}", dir.display())))?;
        let mut names: Vec<String> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let path = entry.path();
            refuse_dangling_link(&entry)?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if !path.is_file() {
                // A directory (or socket...) named like a delta would be
                // skipped without a word.
                if parse_file_name(&name).is_ok_and(|p| p.is_some()) {
                    return Err(Error::Deltas(format!(
                        "{}: named like a delta but not a file",
                        path.display()
                    )));
                }
                continue;
            }
            names.push(name);
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

/// A symbolic link to nowhere may be a delta that was meant to run: an
/// error naming it, rather than a file silently skipped.
pub(crate) fn refuse_dangling_link(entry: &std::fs::DirEntry) -> Result<()> {
    let path = entry.path();
    if !entry.file_type().is_ok_and(|t| t.is_symlink()) {
        return Ok(());
    }
    let Err(e) = std::fs::metadata(&path) else {
        return Ok(());
    };
    let target = std::fs::read_link(&path)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "?".into());
    let why = if e.kind() == std::io::ErrorKind::NotFound {
        "which does not exist".to_string()
    } else {
        format!("which cannot be reached ({e})")
    };
    Err(Error::Deltas(format!(
        "{}: a symbolic link to {target}, {why}; fix or remove the link",
        path.display()
    )))
}

/// The same directory given twice (`deltas` and `./deltas/`, or through a
/// link) would have every delta found twice: refused, naming both.
fn check_distinct_dirs(dirs: &[PathBuf]) -> Result<()> {
    let mut seen: Vec<(PathBuf, &PathBuf)> = Vec::new();
    for dir in dirs {
        let Ok(real) = std::fs::canonicalize(dir) else {
            continue; // reading it fails below, naming it
        };
        if let Some((_, first)) = seen.iter().find(|(r, _)| *r == real) {
            return Err(Error::Deltas(format!(
                "delta directories {} and {} are the same directory; give it once",
                first.display(),
                dir.display()
            )));
        }
        seen.push((real, dir));
    }
    Ok(())
}

fn load_delta(
    path: PathBuf,
    name: &str,
    version: Version,
    description: String,
    kind: DeltaKind,
    dir_index: usize,
) -> Result<Delta> {
    let bytes = std::fs::read(&path).map_err(|e| unreadable(&path, e))?;
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

fn unreadable(path: &Path, e: std::io::Error) -> Error {
    Error::Deltas(format!(
        "{}: cannot read this delta ({e}); nothing was applied",
        path.display()
    ))
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
                let bytes = std::fs::read(&path).map_err(|e| unreadable(&path, e))?;
                Some(decode_sql(&path, bytes)?)
            };
            hooks.push(Hook { path, python, sql });
        }
    }
    Ok(hooks)
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
