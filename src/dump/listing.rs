//! A directory of dumps: finding every dump in it through its manifest
//! (`pum dumps DIR`) and picking the newest one of a database
//! (`pum restore --latest DIR`).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

use super::manifest::{self, DumpKind, Manifest};

/// One dump found in a directory; also the `pum dumps --format json` item.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub path: PathBuf,
    pub database: String,
    pub created_at: String,
    pub kind: DumpKind,
    pub size: u64,
    pub version: Option<String>,
    /// `true`/`false` after checking the hashes, `null` when not checked.
    pub verified: Option<bool>,
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
            path: dump,
            database: m.database.clone(),
            created_at: m.created_at.clone(),
            kind: m.kind,
            size: m.total_size(),
            version: m.version.clone(),
            verified: verify.then_some(problems.is_empty()),
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
        .map(|d| d.path)
        .ok_or_else(|| {
            Error::State(format!(
                "no dump of database {database} in {} (dumps are found by their manifests)",
                dir.display()
            ))
        })
}
