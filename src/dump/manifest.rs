//! The manifest written beside every dump (`FILE.manifest.json`, or
//! `manifest.json` inside a directory or schema-wise dump): what was dumped,
//! from where, with which tools, and the sha256 and size of every file, so a
//! restore can refuse a dump that changed since it was written.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Bumped when a field changes meaning; readers refuse newer manifests.
pub const MANIFEST_VERSION: u32 = 1;

/// The file name of the manifest inside a directory dump.
pub const DIR_MANIFEST: &str = "manifest.json";

/// The version of pum recorded in the manifests it writes.
pub const PUM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The suffix of the manifest beside a single-file dump.
pub const FILE_MANIFEST_SUFFIX: &str = ".manifest.json";

/// The shape of a dump on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DumpKind {
    /// One `pg_dump -Fc` archive.
    Custom,
    /// A `pg_dump -Fd` directory.
    Directory,
    /// One SQL script (`pg_dump -Fp`).
    Plain,
    /// A directory of custom archives, one per schema.
    SchemaWise,
}

impl DumpKind {
    pub fn label(self) -> &'static str {
        match self {
            DumpKind::Custom => "custom",
            DumpKind::Directory => "directory",
            DumpKind::Plain => "plain",
            DumpKind::SchemaWise => "schema-wise",
        }
    }

    /// Whether the dump is a directory holding `manifest.json`.
    pub fn is_dir(self) -> bool {
        matches!(self, DumpKind::Directory | DumpKind::SchemaWise)
    }
}

/// Which schemas the dump was asked to include and exclude (`-n` / `-N`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaSelection {
    pub included: Vec<String>,
    pub excluded: Vec<String>,
}

/// One file of a dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the dump directory (`/`-separated); for a single-file
    /// dump, the file's name when it was written.
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
    /// The schema a schema-wise archive holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// The manifest document (its JSON form is documented in docs/dump_restore.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub pum_manifest: u32,
    pub kind: DumpKind,
    pub database: String,
    /// UTC, ISO-8601 with milliseconds (`2026-01-31T12:00:00.000Z`), taken from the server when the dump started.
    pub created_at: String,
    pub server_version: String,
    pub pg_dump_version: String,
    /// The database's version from the upgrades table, when one was named.
    pub version: Option<String>,
    pub upgrades_table: Option<String>,
    /// The pum that wrote the dump (absent from manifests of older pums).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pum_version: Option<String>,
    pub schemas: SchemaSelection,
    pub schema_only: bool,
    #[serde(default)]
    pub exclude_table_data: Vec<String>,
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Total size of the dump's files.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Reads and checks a manifest file.
    pub fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Manifest::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a manifest's text; `label` names where it came from.
    pub fn parse(text: &str, label: &str) -> Result<Manifest> {
        let manifest: Manifest = serde_json::from_str(text)
            .map_err(|e| Error::State(format!("{label}: not a pum dump manifest: {e}")))?;
        if manifest.pum_manifest > MANIFEST_VERSION {
            return Err(Error::State(format!(
                "{label}: manifest format {} is newer than this pum understands ({MANIFEST_VERSION}); upgrade pum",
                manifest.pum_manifest
            )));
        }
        Ok(manifest)
    }

    /// Writes the manifest atomically (temporary name, then rename), mode 0600.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("manifests always serialise");
        let tmp = sibling_temp(path);
        let result = (|| {
            let mut f = crate::private_file::create(&tmp)?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.write_all(b"\n"))
                .and_then(|_| f.sync_all())
                .map_err(|e| Error::io(&tmp, e))?;
            std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Checks every file of the dump at `dump` against the recorded size and
    /// hash. Returns the problems found (empty: verified).
    pub fn verify(&self, dump: &Path) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for entry in &self.files {
            let path = if self.kind.is_dir() {
                dump.join(&entry.path)
            } else {
                dump.to_path_buf()
            };
            if !path.exists() {
                problems.push(format!("{}: missing", path.display()));
                continue;
            }
            let (size, sha) = hash_file(&path)?;
            if size != entry.size {
                problems.push(format!(
                    "{}: size {size} bytes, the manifest says {}",
                    path.display(),
                    entry.size
                ));
            } else if sha != entry.sha256 {
                problems.push(format!(
                    "{}: sha256 {sha}, the manifest says {}",
                    path.display(),
                    entry.sha256
                ));
            }
        }
        Ok(problems)
    }
}

/// Where the manifest of the dump at `dump` is: inside a directory, beside a file.
pub fn location(dump: &Path) -> PathBuf {
    if dump.is_dir() {
        dump.join(DIR_MANIFEST)
    } else {
        beside(dump)
    }
}

/// `FILE.manifest.json` for `FILE`.
pub fn beside(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(FILE_MANIFEST_SUFFIX);
    PathBuf::from(name)
}

/// The manifest of `dump`, if it has one.
pub fn find(dump: &Path) -> Result<Option<Manifest>> {
    let path = location(dump);
    if path.is_file() {
        Manifest::read(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// Size and sha256 (hex) of a file, read in large blocks.
pub fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((size, hex))
}

/// Entries for every file under `dir` (recursively, sorted), leaving out the manifest itself.
pub fn entries_under(dir: &Path) -> Result<Vec<FileEntry>> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|rel| {
            let (size, sha256) = hash_file(&dir.join(&rel))?;
            Ok(FileEntry {
                path: rel,
                size,
                sha256,
                schema: None,
            })
        })
        .collect()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(root)
                .expect("walked under root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if rel != DIR_MANIFEST {
                out.push(rel);
            }
        }
    }
    Ok(())
}

/// A temporary name in the same directory as `path` (so a rename is atomic),
/// hidden and marked as partial so nobody takes it for a finished dump.
pub fn sibling_temp(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump".into());
    let tmp = format!(".{name}.pum-partial-{}", std::process::id());
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join(tmp),
        _ => PathBuf::from(tmp),
    }
}

#[cfg(test)]
impl Manifest {
    /// A manifest of one custom-format file, for tests.
    pub fn sample(database: &str, created_at: &str, file: &str, size: u64, sha256: String) -> Self {
        Manifest {
            pum_manifest: MANIFEST_VERSION,
            kind: DumpKind::Custom,
            database: database.into(),
            created_at: created_at.into(),
            server_version: "15.1".into(),
            pg_dump_version: "15.1".into(),
            version: None,
            upgrades_table: None,
            pum_version: None,
            schemas: SchemaSelection::default(),
            schema_only: false,
            exclude_table_data: vec![],
            files: vec![FileEntry {
                path: file.into(),
                size,
                sha256,
                schema: None,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_verifies_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let dump = dir.path().join("db.dump");
        std::fs::write(&dump, b"abc").unwrap();
        let (size, sha) = hash_file(&dump).unwrap();
        assert_eq!(size, 3);
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let manifest = Manifest::sample("db", "2026-01-01T00:00:00Z", "db.dump", size, sha);
        manifest.write(&beside(&dump)).unwrap();
        let back = find(&dump).unwrap().unwrap();
        assert!(back.verify(&dump).unwrap().is_empty());
        std::fs::write(&dump, b"abd").unwrap();
        let problems = back.verify(&dump).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("sha256"));
    }

    #[test]
    fn temp_names_are_hidden_siblings() {
        let t = sibling_temp(Path::new("out/db.dump"));
        assert_eq!(t.parent(), Some(Path::new("out")));
        assert!(t
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".db.dump.pum-partial-"));
    }
}
