//! Writing a new delta file (`pum new`): its name from a description and
//! the next version, its header comment. Never overwrites.

use std::path::{Path, PathBuf};

use super::{discover, Version, NO_TRANSACTION_MARKER};
use crate::error::{Error, Result};

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
mod tests {
    use super::*;
    use crate::deltas::parse_file_name;

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
