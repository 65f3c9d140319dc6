//! Files pum writes for the user (reports, check output, dumps and their
//! manifests): readable by their owner only, since they name every table,
//! role and grant of a database — or hold its rows —, and checked writable
//! before the long work that fills them starts. Every 0600 file and 0700
//! directory pum makes is made here.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::{Error, Result};

/// Opens `path` for writing, empty and with mode 0600. An existing file
/// keeps its mode when opened, so it is tightened to 0600 before it is
/// emptied and anything is written.
pub fn create(path: &Path) -> Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(path, e))?;
    file.set_len(0).map_err(|e| Error::io(path, e))?;
    Ok(file)
}

/// Creates the directory `path`, which only its owner may enter.
pub fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir(path).map_err(|e| Error::io(path, e))?;
    set_mode(path, 0o700)
}

/// Makes a directory tree another program wrote private (`pg_dump -Fd`
/// creates its files with the umask): directories 0700, files 0600.
pub fn restrict_tree(dir: &Path) -> Result<()> {
    set_mode(dir, 0o700)?;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            restrict_tree(&path)?;
        } else {
            set_mode(&path, 0o600)?;
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(path, e))
}

/// Writes `text` to `path` as [`create`] opens it.
pub fn write(path: &Path, text: &str) -> Result<()> {
    create(path)?
        .write_all(text.as_bytes())
        .map_err(|e| Error::io(path, e))
}

/// Fails, naming `path` and `what` it is for, unless a file can be written
/// there: an existing file must open for writing (its content is left as
/// it is), a new one must be creatable in its directory (a probe file is
/// created and removed). `what`: "--report", "-o/--output"...
pub fn check_writable(path: &Path, what: &str) -> Result<()> {
    let fail = |why: String| {
        Err(Error::Usage(format!(
            "{what} {}: cannot write there ({why}); nothing was done",
            path.display()
        )))
    };
    if path.is_dir() {
        return fail("it is a directory".into());
    }
    if path.exists() {
        return match std::fs::OpenOptions::new().append(true).open(path) {
            Ok(_) => Ok(()),
            Err(e) => fail(e.to_string()),
        };
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return fail(format!("no directory {}", parent.display()));
    }
    match tempfile::Builder::new()
        .prefix(".pum-probe-")
        .tempfile_in(parent)
    {
        Ok(_) => Ok(()),
        Err(e) => fail(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_is_tightened_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old and longer text").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_missing_directory_or_a_directory_is_not_writable() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_writable(&dir.path().join("r.json"), "--report").is_ok());
        let err = check_writable(&dir.path().join("no/r.json"), "--report").unwrap_err();
        assert!(err.to_string().contains("no/r.json"), "{err}");
        assert!(check_writable(dir.path(), "--report").is_err());
        // The probe leaves nothing behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
