//! Where exports are kept: a store of keys (`public.product/<stamp>.csv`)
//! that can be written, listed and read back. Today a local directory; an
//! object store (`s3://bucket/prefix`) is one more [`Store`] implementation
//! and one more arm in [`open`].

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A store of keyed objects.
pub trait Store: Send + Sync {
    /// A writer for `key`; nothing is visible under `key` until it is committed.
    fn create(&self, key: &str) -> Result<Box<dyn ObjectWriter>>;
    /// The keys under `prefix` (a folder such as `public.product/`), sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// A reader for `key`.
    fn open(&self, key: &str) -> Result<Box<dyn Read + Send>>;
    /// How `key` is shown in messages and reports (a path, a URL).
    fn show(&self, key: &str) -> String;
}

/// An object being written; dropped without [`ObjectWriter::commit`], it
/// leaves nothing behind.
pub trait ObjectWriter: Write {
    /// Makes the object visible under its key.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// Opens the store a `location` setting names. `key` is the setting
/// (`export.location`) and `file` the configuration file, for messages.
pub fn open(location: &str, key: &str, file: Option<&Path>) -> Result<Box<dyn Store>> {
    let shown = file
        .map(|f| format!(" in {}", f.display()))
        .unwrap_or_default();
    if location.starts_with("s3://") {
        return Err(Error::Settings(format!(
            "{key}: {location}{shown}: s3:// export locations are not supported yet; use a directory"
        )));
    }
    if location.contains("://") {
        return Err(Error::Settings(format!(
            "{key}: {location}{shown}: not a directory (no URL scheme is supported)"
        )));
    }
    if location.trim().is_empty() {
        return Err(Error::Settings(format!("{key}{shown}: empty location")));
    }
    Ok(Box::new(DirStore {
        root: PathBuf::from(location),
    }))
}

/// A local directory; keys are relative paths under it.
struct DirStore {
    root: PathBuf,
}

impl DirStore {
    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }
}

impl Store for DirStore {
    fn create(&self, key: &str) -> Result<Box<dyn ObjectWriter>> {
        let target = self.path(key);
        let dir = target.parent().expect("a key has a folder").to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let name = target
            .file_name()
            .expect("a key has a name")
            .to_string_lossy();
        // Hidden while written, so that a crash never leaves a file that
        // looks finished.
        let temp = dir.join(format!(".{name}.partial"));
        let file = File::create(&temp).map_err(|e| Error::io(&temp, e))?;
        Ok(Box::new(DirWriter {
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            temp,
            target,
        }))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let dir = self.path(prefix);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            let sep = if prefix.is_empty() || prefix.ends_with('/') {
                ""
            } else {
                "/"
            };
            let slash = if is_dir { "/" } else { "" };
            keys.push(format!("{prefix}{sep}{name}{slash}"));
        }
        keys.sort();
        Ok(keys)
    }

    fn open(&self, key: &str) -> Result<Box<dyn Read + Send>> {
        let path = self.path(key);
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        Ok(Box::new(file))
    }

    fn show(&self, key: &str) -> String {
        self.path(key).display().to_string()
    }
}

struct DirWriter {
    out: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
}

impl Write for DirWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().expect("open until committed").write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out
            .as_mut()
            .expect("open until committed")
            .write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().expect("open until committed").flush()
    }
}

impl ObjectWriter for DirWriter {
    fn commit(mut self: Box<Self>) -> Result<()> {
        let out = self.out.take().expect("committed once");
        let file = out
            .into_inner()
            .map_err(|e| Error::io(&self.temp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.temp, e))?;
        std::fs::rename(&self.temp, &self.target).map_err(|e| Error::io(&self.target, e))
    }
}

impl Drop for DirWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_locations_are_refused_naming_the_key_and_file() {
        let err = open(
            "s3://bucket/x",
            "export.location",
            Some(Path::new("pum.yaml")),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("s3:// export locations are not supported yet"),
            "{err}"
        );
        assert!(
            err.contains("export.location") && err.contains("pum.yaml"),
            "{err}"
        );
    }

    #[test]
    fn written_objects_appear_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path().to_str().unwrap(), "k", None).unwrap();
        let mut w = store.create("public.t/1.csv").unwrap();
        w.write_all(b"a\n1\n").unwrap();
        assert!(store.list("public.t/").unwrap().is_empty());
        w.commit().unwrap();
        let dropped = store.create("public.t/2.csv").unwrap();
        drop(dropped);
        assert_eq!(store.list("public.t/").unwrap(), vec!["public.t/1.csv"]);
        assert_eq!(store.list("").unwrap(), vec!["public.t/"]);
        let mut text = String::new();
        store
            .open("public.t/1.csv")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a\n1\n");
    }
}
