//! Changelogs of a module: `CHANGELOGS/<version>/*.sql`, one directory per
//! version. Versions are ordered numerically (1.9.0 < 1.10.0), files by name;
//! a directory holding only an `APP_ONLY_RELEASE` marker is a release without
//! database changes that is still recorded. Nothing here touches the database.

use std::cmp::Ordering;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::module::config::ModuleConfig;

/// The marker file of a release without SQL (pum 1.x, since 1.8).
pub const APP_ONLY_RELEASE: &str = "APP_ONLY_RELEASE";

/// A module version: `X.Y` or `X.Y.Z`, compared numerically with missing
/// parts as zero (1.0 == 1.0.0), as pum 1.x's version parser compares them.
#[derive(Debug, Clone)]
pub struct ModuleVersion {
    parts: Vec<u64>,
    text: String,
}

impl ModuleVersion {
    /// A changelog directory name or a `-b`/`-u` value: `X.Y` or `X.Y.Z`.
    pub fn parse(text: &str) -> std::result::Result<ModuleVersion, String> {
        let pieces: Vec<&str> = text.split('.').collect();
        if !(2..=3).contains(&pieces.len())
            || pieces
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "invalid version {text:?}: expected X.Y or X.Y.Z, e.g. 1.2.0"
            ));
        }
        Self::from_pieces(&pieces).ok_or_else(|| format!("invalid version {text:?}: too large"))
    }

    /// A version read from `pum_migrations`, which may hold any dotted
    /// numbers; `None` when it is not one.
    pub fn parse_recorded(text: &str) -> Option<ModuleVersion> {
        let pieces: Vec<&str> = text.trim().split('.').collect();
        if pieces
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        Self::from_pieces(&pieces)
    }

    fn from_pieces(pieces: &[&str]) -> Option<ModuleVersion> {
        let parts = pieces
            .iter()
            .map(|p| p.parse::<u64>().ok())
            .collect::<Option<Vec<u64>>>()?;
        // Written without leading zeros, as pum 1.x records it.
        let text = parts
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(".");
        Some(ModuleVersion { parts, text })
    }

    fn significant(&self) -> &[u64] {
        let keep = self
            .parts
            .iter()
            .rposition(|p| *p != 0)
            .map_or(0, |i| i + 1);
        &self.parts[..keep]
    }
}

impl PartialEq for ModuleVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ModuleVersion {}

impl Ord for ModuleVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.significant().cmp(other.significant())
    }
}

impl PartialOrd for ModuleVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ModuleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One SQL file of a changelog.
#[derive(Debug, Clone)]
pub struct ChangelogFile {
    /// The path as pum 1.x records it (module directory as given, then
    /// changelogs directory, version directory and file name).
    pub path: PathBuf,
    pub name: String,
    /// The text, UTF-8, byte order mark removed.
    pub sql: String,
}

/// One version directory.
#[derive(Debug, Clone)]
pub struct Changelog {
    pub version: ModuleVersion,
    pub dir: PathBuf,
    pub files: Vec<ChangelogFile>,
    /// Marked `APP_ONLY_RELEASE`: recorded, nothing to run.
    pub app_only: bool,
}

impl Changelog {
    /// File paths as recorded in `pum_migrations.changelog_files`.
    pub fn recorded_files(&self) -> Vec<String> {
        self.files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect()
    }
}

/// `a/./b` → `a/b`, `./x` → `x`: the path as Python's pathlib prints it.
fn tidy(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The changelogs directory of a module.
pub fn changelogs_dir(config: &ModuleConfig) -> PathBuf {
    tidy(&config.dir.join(&config.changelogs_directory))
}

/// Finds every changelog, in version order.
pub fn discover(config: &ModuleConfig) -> Result<Vec<Changelog>> {
    let root = changelogs_dir(config);
    let entries = std::fs::read_dir(&root).map_err(|e| {
        Error::Deltas(format!(
            "changelogs directory {} (changelogs_directory in .pum.yaml): {e}",
            root.display()
        ))
    })?;
    let mut found: Vec<Changelog> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&root, e))?;
        crate::deltas::refuse_dangling_link(&entry)?;
        if !entry.path().is_dir() {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // Version control and editor folders are not versions.
        if name.starts_with('.') {
            continue;
        }
        let version = ModuleVersion::parse(&name)
            .map_err(|why| Error::Deltas(format!("{}: {why}", root.join(&name).display())))?;
        if let Some(other) = found.iter().find(|c| c.version == version) {
            return Err(Error::Deltas(format!(
                "{} and {} are the same version; remove one",
                other.dir.display(),
                root.join(&name).display()
            )));
        }
        found.push(load(&root.join(&name), version)?);
    }
    found.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(found)
}

fn load(dir: &Path, version: ModuleVersion) -> Result<Changelog> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        crate::deltas::refuse_dangling_link(&entry)?;
        if !entry.path().is_file() {
            continue;
        }
        if let Ok(name) = entry.file_name().into_string() {
            if name.ends_with(".sql") {
                names.push(name);
            }
        }
    }
    names.sort();
    let app_only = dir.join(APP_ONLY_RELEASE).is_file();
    if names.is_empty() && !app_only {
        return Err(Error::Deltas(format!(
            "{}: no .sql files; for a release without database changes add an empty {APP_ONLY_RELEASE} file",
            dir.display()
        )));
    }
    if !names.is_empty() && app_only {
        return Err(Error::Deltas(format!(
            "{}: has both an {APP_ONLY_RELEASE} marker and .sql files; remove one or the other",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let sql = crate::deltas::decode_sql(&path, bytes)?;
        files.push(ChangelogFile { path, name, sql });
    }
    Ok(Changelog {
        version,
        dir: dir.to_path_buf(),
        files,
        app_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> ModuleVersion {
        ModuleVersion::parse(s).unwrap()
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(v("1.9.0") < v("1.10.0"));
        assert!(v("1.10.0") < v("2.0"));
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("01.2.03").to_string(), "1.2.3");
        for bad in ["1", "1.2.3.4", "v1.2", "1..2", "1.2-rc1", ""] {
            assert!(ModuleVersion::parse(bad).is_err(), "{bad}");
        }
        assert!(ModuleVersion::parse_recorded("2025.1.0.4").is_some());
        assert!(ModuleVersion::parse_recorded("abc").is_none());
    }

    fn module(dir: &Path) -> ModuleConfig {
        ModuleConfig::parse("pum:\n  module: m\n", &dir.join(".pum.yaml"), dir).unwrap()
    }

    #[test]
    fn discovery_orders_versions_and_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("changelogs");
        for (d, f) in [
            ("1.10.0", "01_b.sql"),
            ("1.9.0", "02 second file.sql"),
            ("1.9.0", "01_first.sql"),
            ("1.9.0", "notes.md"),
            ("1.2", "x.sql"),
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
            std::fs::write(root.join(d).join(f), "SELECT 1;").unwrap();
        }
        std::fs::create_dir_all(root.join("2.0.0")).unwrap();
        std::fs::write(root.join("2.0.0").join(APP_ONLY_RELEASE), "").unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let found = discover(&module(tmp.path())).unwrap();
        let order: Vec<String> = found.iter().map(|c| c.version.to_string()).collect();
        assert_eq!(order, ["1.2", "1.9.0", "1.10.0", "2.0.0"]);
        let names: Vec<&str> = found[1].files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["01_first.sql", "02 second file.sql"]);
        assert!(found[3].app_only && found[3].files.is_empty());
        assert!(found[1].recorded_files()[1].ends_with("changelogs/1.9.0/02 second file.sql"));
    }

    #[test]
    fn recorded_paths_follow_the_directory_as_given() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("changelogs/1.0.0")).unwrap();
        std::fs::write(tmp.path().join("changelogs/1.0.0/a.sql"), "").unwrap();
        let mut config = module(tmp.path());
        config.dir = tmp.path().join(".");
        let found = discover(&config).unwrap();
        assert_eq!(
            found[0].recorded_files(),
            [tmp.path()
                .join("changelogs/1.0.0/a.sql")
                .display()
                .to_string()]
        );
    }

    #[test]
    fn bad_layouts_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("changelogs");
        std::fs::create_dir_all(root.join("1.0.0")).unwrap();
        let err = discover(&module(tmp.path())).unwrap_err().to_string();
        assert!(err.contains("no .sql files"), "{err}");
        std::fs::write(root.join("1.0.0").join("a.sql"), "").unwrap();
        std::fs::write(root.join("1.0.0").join(APP_ONLY_RELEASE), "").unwrap();
        let err = discover(&module(tmp.path())).unwrap_err().to_string();
        assert!(err.contains("both"), "{err}");
        std::fs::remove_file(root.join("1.0.0").join(APP_ONLY_RELEASE)).unwrap();
        std::fs::create_dir_all(root.join("latest")).unwrap();
        let err = discover(&module(tmp.path())).unwrap_err().to_string();
        assert!(err.contains("invalid version \"latest\""), "{err}");
        std::fs::remove_dir(root.join("latest")).unwrap();
        std::fs::create_dir_all(root.join("1.0")).unwrap();
        std::fs::write(root.join("1.0").join("b.sql"), "").unwrap();
        let err = discover(&module(tmp.path())).unwrap_err().to_string();
        assert!(err.contains("same version"), "{err}");
    }
}
