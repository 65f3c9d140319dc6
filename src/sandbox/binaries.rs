//! Finding the PostgreSQL server programs: the newest installed for a
//! sandbox, or exactly one major version for a server started on a copy of
//! another cluster's files (which only a server of that major can read).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// Where the server binaries were found and which major version they are.
#[derive(Debug, Clone)]
pub struct ServerBinaries {
    pub bindir: PathBuf,
    pub major: u32,
}

/// The directories searched, in order: `first` (`PUM_PG_BINDIR`), `pg_config
/// --bindir`, `/usr/lib/postgresql/*/bin` newest first, then `PATH`.
fn candidates(first: Option<&Path>) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = first {
        candidates.push(dir.to_path_buf());
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if !dir.is_empty() {
                candidates.push(dir.into());
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versioned: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin")))
            })
            .collect();
        versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
        candidates.extend(versioned.into_iter().map(|(_, p)| p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates
}

impl ServerBinaries {
    /// Finds `initdb`/`postgres`, the first directory of [`candidates`]
    /// that holds both; `first` is looked in before the others.
    pub fn find(first: Option<&Path>) -> Result<ServerBinaries> {
        let mut tried = Vec::new();
        for dir in candidates(first) {
            if dir.join("initdb").is_file() && dir.join("postgres").is_file() {
                let major = server_major(&dir.join("postgres"))?;
                return Ok(ServerBinaries { bindir: dir, major });
            }
            tried.push(dir.display().to_string());
        }
        Err(Error::State(format!(
            "PostgreSQL server binaries (initdb, postgres) not found; install them \
             (Debian/Ubuntu: apt-get install postgresql) or set PUM_PG_BINDIR. Searched: {}",
            tried.join(", ")
        )))
    }

    /// The first directory holding every one of `programs` whose `postgres`
    /// is of major version `major`; the error names the version, the
    /// programs and every directory looked in.
    pub fn of_major(major: u32, programs: &[&str], first: Option<&Path>) -> Result<ServerBinaries> {
        let mut tried = Vec::new();
        for dir in candidates(first) {
            if programs.iter().all(|p| dir.join(p).is_file()) {
                match server_major(&dir.join("postgres")) {
                    Ok(found) if found == major => {
                        return Ok(ServerBinaries { bindir: dir, major })
                    }
                    Ok(found) => tried.push(format!("{} (PostgreSQL {found})", dir.display())),
                    Err(_) => tried.push(dir.display().to_string()),
                }
            } else {
                tried.push(dir.display().to_string());
            }
        }
        Err(Error::State(format!(
            "a physical copy of production needs the PostgreSQL {major} server programs ({}), \
             production's major version, but none were found; install them (Debian/Ubuntu: \
             apt-get install postgresql-{major}) or set PUM_PG_BINDIR to their directory, or use \
             --copy logical. Searched: {}",
            programs.join(", "),
            tried.join(", ")
        )))
    }
}

fn server_major(postgres: &Path) -> Result<u32> {
    let out = Command::new(postgres)
        .arg("--version")
        .output()
        .map_err(|e| Error::io(postgres, e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "postgres (PostgreSQL) 15.18 (Debian ...)"
    text.split_whitespace()
        .find_map(|w| w.split('.').next()?.parse::<u32>().ok())
        .ok_or_else(|| Error::State(format!("cannot read the version of {}", postgres.display())))
}
