//! Putting a finished dump where it was asked for, atomically: `pg_dump`
//! writes under a hidden temporary name beside the target, which is
//! removed if anything fails and renamed into place only once the dump and
//! its manifest are whole. Nothing that is not a pum dump is ever replaced.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::manifest::{self, DumpKind, Manifest};

/// A path removed on drop unless [`TempPath::keep`] was called: a failed or
/// panicking dump leaves no partial file behind.
pub(super) struct TempPath(Option<PathBuf>);

impl TempPath {
    /// A hidden temporary name beside `target`.
    pub fn beside(target: &Path) -> TempPath {
        TempPath(Some(manifest::sibling_temp(target)))
    }

    pub fn path(&self) -> &Path {
        self.0.as_deref().expect("temporary path still owned")
    }

    fn keep(mut self) -> PathBuf {
        self.0.take().expect("temporary path still owned")
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(&p);
            } else {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

/// Nothing already at the target is replaced unless asked (`--overwrite`),
/// and a directory holding anything but a pum dump never is. Checked before
/// connecting, so the refusal comes before the long work.
pub(super) fn refuse_to_lose(target: &Path, overwrite: bool) -> Result<()> {
    if target.is_dir() {
        if is_empty_dir(target) {
            return Ok(());
        }
        if !target.join(manifest::DIR_MANIFEST).is_file() {
            return Err(Error::Refused(format!(
                "{} exists and holds files that are not a pum dump; refusing to replace it \
                 (name a new or empty directory)",
                target.display()
            )));
        }
    } else if !target.exists() && target.symlink_metadata().is_err() {
        return Ok(());
    }
    if overwrite {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "{} exists; refusing to overwrite it (pass --overwrite to replace it)",
        target.display()
    )))
}

/// Writes `manifest` and moves the dump written at `tmp` to `target`;
/// returns where the manifest now is.
pub(super) fn place(tmp: TempPath, target: &Path, manifest: &Manifest) -> Result<PathBuf> {
    if manifest.kind.is_dir() {
        manifest.write(&tmp.path().join(manifest::DIR_MANIFEST))?;
        place_dir(tmp, target)?;
        return Ok(target.join(manifest::DIR_MANIFEST));
    }
    // The manifest goes first: a manifest without its dump is plainly
    // incomplete, while the dump itself appears only once whole.
    let path = manifest::beside(target);
    manifest.write(&path)?;
    let partial = tmp.keep();
    std::fs::rename(&partial, target).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        Error::io(target, e)
    })?;
    Ok(path)
}

/// Moves a finished directory dump into place. An existing dump directory
/// there is replaced, but only after the new one is complete.
fn place_dir(tmp: TempPath, target: &Path) -> Result<()> {
    if target.exists() {
        if !target.join(manifest::DIR_MANIFEST).is_file() && !is_empty_dir(target) {
            return Err(Error::Refused(format!(
                "{} exists and is not a pum dump; refusing to replace it",
                target.display()
            )));
        }
        let old = TempPath::beside(&target.with_extension("old"));
        std::fs::rename(target, old.path()).map_err(|e| Error::io(target, e))?;
        let new = tmp.keep();
        if let Err(e) = std::fs::rename(&new, target) {
            // Put the old dump back; the new one is dropped with `new`'s guard.
            let _ = std::fs::rename(old.keep(), target);
            let _ = std::fs::remove_dir_all(&new);
            return Err(Error::io(target, e));
        }
        return Ok(());
    }
    let new = tmp.keep();
    std::fs::rename(&new, target).map_err(|e| {
        let _ = std::fs::remove_dir_all(&new);
        Error::io(target, e)
    })
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false)
}

/// Whether a dump of this kind is a directory (or a file) as `target` must be.
pub(super) fn check_target_shape(target: &Path, kind: DumpKind) -> Result<()> {
    if target.is_file() && kind.is_dir() {
        return Err(Error::Usage(format!(
            "{} is a file; a directory or schema-wise dump needs a directory name",
            target.display()
        )));
    }
    if target.is_dir() && !kind.is_dir() {
        return Err(Error::Usage(format!(
            "{} is a directory; name the dump file to write",
            target.display()
        )));
    }
    Ok(())
}
