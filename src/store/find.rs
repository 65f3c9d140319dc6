//! Reading a store: what it holds (`pum dumps LOCATION`), the newest dump
//! of a database (`restore --latest`), and restoring one dump from it —
//! from a local file as any dump, from S3 as a stream checked against its
//! manifest before anything is touched.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::dump::listing::{self, Listed};
use crate::dump::manifest::Manifest;
use crate::dump::{self, RestoreOptions, RestoreReport, Tools};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::{ConnParams, Environment};

use super::key::{manifest_key, DumpKey, DUMP_SUFFIX};
use super::s3::Bucket;
use super::{object_key, Location};

/// Every dump at `location`, newest first; only `database`'s when given.
pub fn list(
    location: &Location,
    database: Option<&str>,
    verify: bool,
    env: &Environment,
) -> Result<Vec<Listed>> {
    let mut found = match location {
        Location::Local(dir) => list_local(dir, verify)?,
        Location::S3 { bucket, prefix } => list_s3(&Bucket::open(bucket, env)?, prefix, verify)?,
    };
    if let Some(db) = database {
        found.retain(|d| d.database == db);
    }
    found.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.path.cmp(&b.path))
    });
    Ok(found)
}

/// The dumps directly in `dir` and in its database folders.
fn list_local(dir: &Path, verify: bool) -> Result<Vec<Listed>> {
    let mut all = listing::list(dir, verify)?;
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_dir() && !hidden && !path.join("manifest.json").exists() {
            all.extend(listing::list(&path, verify)?);
        }
    }
    for d in &mut all {
        d.name = DumpKey::parse(&relative_key(Path::new(&d.path))).and_then(|k| k.name);
    }
    Ok(all)
}

/// `folder/file` of a path: how a key reads back.
fn relative_key(path: &Path) -> String {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let folder = path
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    format!(
        "{}/{}",
        folder.unwrap_or_default(),
        file.unwrap_or_default()
    )
}

/// The `.dump` objects under `prefix`, each with what its manifest says.
fn list_s3(bucket: &Bucket, prefix: &str, verify: bool) -> Result<Vec<Listed>> {
    let objects = bucket.list(prefix)?;
    let mut out = Vec::new();
    for object in objects.iter().filter(|o| o.key.ends_with(DUMP_SUFFIX)) {
        let key = DumpKey::parse(&object.key);
        let manifest = read_manifest(bucket, &object.key)?;
        let mut problems = Vec::new();
        match &manifest {
            None => problems.push("no manifest".to_string()),
            Some(m) if verify => problems.extend(verify_object(bucket, &object.key, m)?),
            Some(m) if m.total_size() != object.size => problems.push(format!(
                "size {} bytes, the manifest says {}",
                object.size,
                m.total_size()
            )),
            Some(_) => {}
        }
        let (database, created_at) = match (&manifest, &key) {
            (Some(m), _) => (m.database.clone(), m.created_at.clone()),
            (None, Some(k)) => (k.database.clone(), k.time()),
            (None, None) => (String::new(), String::new()),
        };
        out.push(Listed {
            path: bucket.url(&object.key),
            database,
            created_at,
            name: key.and_then(|k| k.name),
            kind: manifest.as_ref().map(|m| m.kind),
            size: object.size,
            version: manifest.as_ref().and_then(|m| m.version.clone()),
            pum_version: manifest.as_ref().and_then(|m| m.pum_version.clone()),
            manifest_ok: (verify || manifest.is_none()).then_some(problems.is_empty()),
            problems,
        });
    }
    Ok(out)
}

fn read_manifest(bucket: &Bucket, key: &str) -> Result<Option<Manifest>> {
    let mkey = manifest_key(key);
    match bucket.get_small(&mkey)? {
        None => Ok(None),
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            Manifest::parse(&text, &bucket.url(&mkey)).map(Some)
        }
    }
}

/// Streams the object once and compares it with its manifest.
fn verify_object(bucket: &Bucket, key: &str, manifest: &Manifest) -> Result<Vec<String>> {
    let Some(entry) = manifest.files.first() else {
        return Ok(vec!["the manifest lists no file".into()]);
    };
    let mut reader = bucket.download(key)?;
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| Error::State(e.to_string()))?;
        if n == 0 {
            break;
        }
        sha2::Digest::update(&mut hasher, &buf[..n]);
        size += n as u64;
    }
    let sha: String = sha2::Digest::finalize(hasher)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(if size != entry.size {
        vec![format!(
            "size {size} bytes, the manifest says {}",
            entry.size
        )]
    } else if sha != entry.sha256 {
        vec![format!("sha256 {sha}, the manifest says {}", entry.sha256)]
    } else {
        Vec::new()
    })
}

/// A dump to restore: a local path or an S3 object.
pub enum Source {
    Local(PathBuf),
    S3 { bucket: Bucket, key: String },
}

impl Source {
    /// A path, or `s3://bucket/key.dump`.
    pub fn parse(text: &str, env: &Environment) -> Result<Source> {
        match Location::parse(text)? {
            Location::Local(path) => Ok(Source::Local(path)),
            Location::S3 { .. } => {
                let (bucket, key) = super::put::split_object_url(text)?;
                Ok(Source::S3 {
                    bucket: Bucket::open(&bucket, env)?,
                    key,
                })
            }
        }
    }

    /// The newest dump of `database` at `location`.
    pub fn latest(location: &Location, database: &str, env: &Environment) -> Result<Source> {
        match location {
            Location::Local(dir) => {
                let found = list_local(dir, false)?
                    .into_iter()
                    .filter(|d| d.database == database)
                    .max_by(|a, b| a.created_at.cmp(&b.created_at));
                found
                    .map(|d| Source::Local(PathBuf::from(d.path)))
                    .ok_or_else(|| none_found(database, location))
            }
            Location::S3 { bucket, prefix } => {
                let bucket = Bucket::open(bucket, env)?;
                let folder = object_key(prefix, &format!("{database}/"));
                // Keys hold the time as sortable text: the greatest is the newest.
                let newest = bucket
                    .list(&folder)?
                    .into_iter()
                    .filter(|o| DumpKey::parse(&o.key).is_some_and(|k| k.database == database))
                    .map(|o| o.key)
                    .max();
                match newest {
                    Some(key) => Ok(Source::S3 { bucket, key }),
                    None => Err(none_found(database, location)),
                }
            }
        }
    }

    pub fn shown(&self) -> String {
        match self {
            Source::Local(path) => path.display().to_string(),
            Source::S3 { bucket, key } => bucket.url(key),
        }
    }

    /// Restores this dump into the database of `params`.
    pub fn restore(
        &self,
        params: &ConnParams,
        opts: &RestoreOptions,
        tools: &Tools,
        printer: &Printer,
    ) -> Result<RestoreReport> {
        let (bucket, key) = match self {
            Source::Local(path) => return dump::restore(params, path, opts, tools, printer),
            Source::S3 { bucket, key } => (bucket, key),
        };
        let url = bucket.url(key);
        let manifest = read_manifest(bucket, key)?;
        if manifest.is_none() {
            // Fails now, naming the URL, when the object is not there either.
            drop(bucket.download(key)?);
        }
        let open = || -> Result<Box<dyn Read + Send>> { Ok(Box::new(bucket.download(key)?)) };
        dump::restore_stream(params, &url, manifest.as_ref(), &open, opts, tools, printer)
    }
}

fn none_found(database: &str, location: &Location) -> Error {
    Error::State(format!(
        "no dump of database {database} in {} (dumps are found by their keys and manifests)",
        location.shown()
    ))
}
