//! A directory of dumps: finding every dump in it through its manifest
//! (`pum dumps DIR`) and picking the newest one of a database
//! (`pum restore --latest DIR`).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

use super::manifest::{self, DumpKind, Manifest};

/// One dump found in a directory or a store; also the `pum dumps --format
/// json` item.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The local path or the `s3://` URL.
    pub path: String,
    pub database: String,
    pub created_at: String,
    /// The `--name` in a store's key.
    pub name: Option<String>,
    /// `null` when the manifest is missing (a store's object without one).
    pub kind: Option<DumpKind>,
    pub size: u64,
    /// The database's version the manifest records (`-t`).
    pub version: Option<String>,
    /// The pum that wrote the dump, when its manifest says.
    pub pum_version: Option<String>,
    /// `true`/`false` after checking the hashes against the manifest,
    /// `null` when not checked; `verified` in JSON.
    #[serde(rename = "verified")]
    pub manifest_ok: Option<bool>,
    /// What did not match, when `verified` is false.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// Every dump directly inside `dir` that has a manifest, newest first.
/// With `verify`, each dump's files are hashed and compared.
pub fn list(dir: &Path, verify: bool) -> Result<Vec<Listed>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Partial dumps and manifests being written are hidden dot-files.
        if name.starts_with('.') {
            continue;
        }
        let (dump, manifest_path) = if path.is_dir() {
            let m = path.join(manifest::DIR_MANIFEST);
            if !m.is_file() {
                continue;
            }
            (path.clone(), m)
        } else if let Some(stem) = name.strip_suffix(manifest::FILE_MANIFEST_SUFFIX) {
            (dir.join(stem), path.clone())
        } else {
            continue;
        };
        let Ok(m) = Manifest::read(&manifest_path) else {
            continue;
        };
        // A manifest whose dump never got into place belongs to a failed run.
        if !dump.exists() {
            continue;
        }
        let problems = if verify { m.verify(&dump)? } else { Vec::new() };
        found.push(Listed {
            path: dump.display().to_string(),
            database: m.database.clone(),
            created_at: m.created_at.clone(),
            name: None,
            kind: Some(m.kind),
            size: m.total_size(),
            version: m.version.clone(),
            pum_version: m.pum_version.clone(),
            manifest_ok: verify.then_some(problems.is_empty()),
            problems,
        });
    }
    // ISO-8601 UTC timestamps order as text.
    found.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.path.cmp(&b.path))
    });
    Ok(found)
}

/// The newest dump of `database` in `dir`.
pub fn latest(dir: &Path, database: &str) -> Result<PathBuf> {
    list(dir, false)?
        .into_iter()
        .find(|d| d.database == database)
        .map(|d| PathBuf::from(d.path))
        .ok_or_else(|| {
            Error::State(format!(
                "no dump of database {database} in {} (dumps are found by their manifests)",
                dir.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::manifest::hash_file;

    fn write_dump(dir: &Path, name: &str, database: &str, created_at: &str) {
        let path = dir.join(name);
        std::fs::write(&path, format!("PGDMP {name}")).unwrap();
        let (size, sha256) = hash_file(&path).unwrap();
        Manifest {
            version: Some("1.0.0".into()),
            ..Manifest::sample(database, created_at, name, size, sha256)
        }
        .write(&manifest::beside(&path))
        .unwrap();
    }

    #[test]
    fn lists_newest_first_and_picks_the_latest_of_a_database() {
        let dir = tempfile::tempdir().unwrap();
        write_dump(dir.path(), "a.dump", "net", "2026-01-01T10:00:00.000Z");
        write_dump(dir.path(), "b.dump", "net", "2026-01-02T10:00:00.000Z");
        write_dump(dir.path(), "c.dump", "other", "2026-01-03T10:00:00.000Z");
        // A manifest whose dump never arrived, and a partial dump: both ignored.
        write_dump(dir.path(), "gone.dump", "net", "2026-02-01T00:00:00.000Z");
        std::fs::remove_file(dir.path().join("gone.dump")).unwrap();
        std::fs::write(dir.path().join(".d.dump.pum-partial-1"), "PGDMP").unwrap();

        let found = list(dir.path(), true).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|d| {
                Path::new(&d.path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["c.dump", "b.dump", "a.dump"]);
        assert!(found.iter().all(|d| d.manifest_ok == Some(true)));
        assert_eq!(
            latest(dir.path(), "net").unwrap(),
            dir.path().join("b.dump")
        );
        assert!(latest(dir.path(), "nope").is_err());

        std::fs::write(dir.path().join("a.dump"), "PGDMP changed").unwrap();
        let a = list(dir.path(), true)
            .unwrap()
            .into_iter()
            .find(|d| d.path.ends_with("a.dump"))
            .unwrap();
        assert_eq!(a.manifest_ok, Some(false));
        assert_eq!(a.problems.len(), 1);
    }
}
